#!/usr/bin/env bash
# Run Go package tests inside a VM that has a real IPVS kernel.
#
#   scripts/vm/run-tests.sh [-run REGEX] [-timeout DUR] [-shell] [PKG...]
#
# PKG defaults to $VM_PKGS, else "./ipvs ./check". Each package's test binary
# (CGO_ENABLED=0 go test -c) runs in the VM with its directory's testdata/,
# as ./PKG.test -test.v -test.count=1 [-test.run REGEX] -test.timeout DUR,
# with GOKEEPALIVED_VM=1. The output streams to stdout; the exit status is the
# tests' (0 all passed, 1 a test failed or the VM broke).
# With -shell, the VM gives an interactive shell instead of running tests.
#
# Environment: VM_PKGS, VM_OPTIONAL=1 (print "SKIP: IPVS VM tests (reason)"
# and exit 0 when the VM cannot run here), VM_TIMEOUT (whole VM, default
# 15m), VM_MEM (MB, default 1024), VM_SMP (default 2), VM_ACCEL (tcg|kvm,
# default probed), VM_QEMU (default qemu-system-x86_64), VM_KERNEL_ARGS
# (added to the kernel command line), GO (default go),
# VM_BOOT_TIMEOUT (seconds for the VM's init to start, default 120; a boot
# that hangs is tried again) and VM_BOOT_TRIES (default 2),
# GOKEEPALIVED_VM_CACHE (cache directory).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

run_re=
test_timeout=10m
shell=0
while [ $# -gt 0 ]; do
	case "$1" in
	-run) run_re=$2; shift 2 ;;
	-run=*) run_re=${1#-run=}; shift ;;
	-timeout) test_timeout=$2; shift 2 ;;
	-timeout=*) test_timeout=${1#-timeout=}; shift ;;
	-shell) shell=1; shift ;;
	-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run-tests.sh: unknown flag $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -gt 0 ]; then
	pkgs=("$@")
else
	read -r -a pkgs <<<"${VM_PKGS:-./ipvs ./check}"
fi
GO=${GO:-go}
vm_timeout=${VM_TIMEOUT:-15m}

t_start=$(vm_now)
cd "$VM_REPO" || exit 1
mkdir -p "$VM_CACHE"

skip_or_fail() {
	if [ "${VM_OPTIONAL:-0}" = 1 ]; then
		echo "SKIP: IPVS VM tests ($1)"
		exit 0
	fi
	echo "vm: cannot run the VM tests: $1" >&2
	exit "$VM_UNAVAILABLE"
}

command -v "$GO" >/dev/null || skip_or_fail "$GO not found"

# 1. The kernel and the base image (cached).
reason_file=$(mktemp "$VM_CACHE/reason.XXXXXX")
env_out=$(VM_REASON_FILE=$reason_file "$VM_DIR/build-image.sh")
st=$?
reason=$(cat "$reason_file" 2>/dev/null)
rm -f "$reason_file"
if [ "$st" = "$VM_UNAVAILABLE" ]; then
	skip_or_fail "${reason:-the VM image cannot be built here}"
elif [ "$st" != 0 ]; then
	vm_die "building the VM image failed (status $st)"
fi
eval "$env_out"
t_image=$(vm_now)

# 2. The test binaries and their testdata, as a second cpio archive that the
# kernel unpacks over the base one.
work=$(mktemp -d "$VM_CACHE/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/tests"
: >"$work/root/tests/run.list"
modroot=$("$GO" list -m -f '{{.Dir}}') || vm_die "go list -m failed"
pkglist=$("$GO" list -f '{{.Dir}}|{{.ImportPath}}|{{len .TestGoFiles}}|{{len .XTestGoFiles}}' "${pkgs[@]}") ||
	vm_die "go list ${pkgs[*]} failed"
while IFS='|' read -r dir ipath nt nxt; do
	rel=${dir#"$modroot"}
	rel=${rel#/}
	[ -n "$rel" ] || rel=root
	if [ "$((nt + nxt))" = 0 ]; then
		vm_log "$ipath has no test files; skipped"
		continue
	fi
	name=$(basename "$rel").test
	mkdir -p "$work/root/tests/$rel"
	CGO_ENABLED=0 "$GO" test -c -o "$work/root/tests/$rel/$name" "$ipath" ||
		vm_die "go test -c $ipath failed"
	if [ -d "$dir/testdata" ]; then
		cp -a "$dir/testdata" "$work/root/tests/$rel/"
	fi
	echo "$rel $name" >>"$work/root/tests/run.list"
done <<<"$pkglist"
if [ "$shell" = 0 ] && [ ! -s "$work/root/tests/run.list" ]; then
	vm_die "no test binaries to run for ${pkgs[*]}"
fi
# The daemon itself, for tests that compare it with keepalived in the VM.
if [ -d "$modroot/cmd/gokeepalived" ]; then
	mkdir -p "$work/root/usr/local/sbin"
	(cd "$modroot" && CGO_ENABLED=0 "$GO" build -o "$work/root/usr/local/sbin/gokeepalived" ./cmd/gokeepalived) ||
		vm_log "warning: go build ./cmd/gokeepalived failed; the VM has no gokeepalived"
fi
{
	[ -n "$run_re" ] && printf -- '-test.run=%s\n' "$run_re"
	printf -- '-test.timeout=%s\n' "$test_timeout"
} >"$work/root/tests/args"
(cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$work/tests.cpio" ||
	vm_die "cpio of the test binaries failed"
cat "$VM_BASE" "$work/tests.cpio" >"$work/initrd.cpio"
t_built=$(vm_now)
vm_log "image ready in $(vm_since "$t_start") s (kernel+base $(awk -v a="$t_start" -v b="$t_image" 'BEGIN{printf "%.1f", b-a}') s, tests $(awk -v a="$t_image" -v b="$t_built" 'BEGIN{printf "%.1f", b-a}') s), initrd $(du -m "$work/initrd.cpio" | cut -f1) MB, accel $VM_ACCEL"

# 3. Boot.
qemu=("$VM_QEMU" -m "${VM_MEM:-1024}" -smp "${VM_SMP:-2}" -no-reboot -nic none
	-display none -kernel "$VM_KERNEL" -initrd "$work/initrd.cpio")
if [ "$VM_ACCEL" = kvm ]; then
	qemu+=(-accel kvm -cpu host)
else
	qemu+=(-accel tcg -cpu max)
fi
append="console=ttyS0 quiet loglevel=3 panic=-1 ${VM_KERNEL_ARGS:-}"

if [ "$shell" = 1 ]; then
	echo "vm: interactive shell; Ctrl-A X stops qemu" >&2
	"${qemu[@]}" -serial mon:stdio -append "$append gokeepalived.shell=1"
	exit $?
fi

# A boot under TCG now and then hangs before the VM's init prints a line
# (seen once in about a hundred boots): without a watchdog that costs the
# whole VM_TIMEOUT. The init reports within seconds, so a boot that has
# not by VM_BOOT_TIMEOUT is killed and tried again, VM_BOOT_TRIES in all.
boot_timeout=${VM_BOOT_TIMEOUT:-120}
boot_tries=${VM_BOOT_TRIES:-2}
qemu+=(-pidfile "$work/qemu.pid")

boot() {
	rm -f "$work/booted" "$work/qemu.pid"
	(
		sleep "$boot_timeout"
		if [ ! -e "$work/booted" ] && [ -s "$work/qemu.pid" ]; then
			kill "$(cat "$work/qemu.pid")" 2>/dev/null
		fi
	) &
	watchdog=$!
	t_boot=$(vm_now)
	status=
	ready=
	qemu_status=
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in
		GOKEEPALIVED-HOST-QEMU-STATUS=*)
			qemu_status=${line#*=}
			continue
			;;
		esac
		printf '%s\n' "$line"
		case "$line" in
		*GOKEEPALIVED-VM:\ init\ started*) : >"$work/booted" ;;
		*GOKEEPALIVED-VM:\ ready*) [ -n "$ready" ] || ready=$(vm_since "$t_boot") ;;
		*GOKEEPALIVED-VM-EXIT=*) status=${line##*GOKEEPALIVED-VM-EXIT=}; status=${status%%[!0-9]*} ;;
		esac
	done < <(
		timeout -k 10 "$vm_timeout" "${qemu[@]}" -monitor none -serial stdio -append "$append" </dev/null 2>&1
		echo "GOKEEPALIVED-HOST-QEMU-STATUS=$?"
	)
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
}

for try in $(seq 1 "$boot_tries"); do
	boot
	[ -e "$work/booted" ] && break
	vm_log "the VM's init did not start within ${boot_timeout} s of boot (try $try of $boot_tries)"
done

summary="VM boot to first test ${ready:-?} s, VM run $(vm_since "$t_boot") s, total $(vm_since "$t_start") s"
if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
	vm_die "the VM did not finish within $vm_timeout (VM_TIMEOUT); $summary"
fi
if [ -z "$status" ]; then
	vm_die "the VM stopped (qemu status ${qemu_status:-?}) without reporting the tests' exit status; $summary"
fi
if [ "$status" = 0 ]; then
	vm_log "PASS: VM tests of ${pkgs[*]}; $summary"
	exit 0
fi
vm_log "FAIL: VM tests of ${pkgs[*]} exited $status; $summary"
exit 1
