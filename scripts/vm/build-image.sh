#!/usr/bin/env bash
# Fetch Debian's cloud kernel and build the VM's base initramfs, both cached
# under $VM_CACHE (see lib.sh). Prints shell assignments for run-tests.sh:
#   VM_KERNEL=... VM_BASE=... VM_KVER=... VM_ACCEL=...
#
#   build-image.sh          use what is cached, build only what is missing
#   build-image.sh --force  ask apt for the newest cloud kernel, download it if
#                           it changed, rebuild the base image, probe KVM again
#
# Exit status 77 (with a "vm: unavailable: REASON" line) when this host cannot
# build or boot the VM: no qemu, no apt, kernel download failed, ...
set -euo pipefail
. "$(dirname "$0")/lib.sh"

force=0
case "${1:-}" in
--force) force=1 ;;
"") ;;
*) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

# Modules loaded at boot, with their dependencies. Every IPVS scheduler and
# helper module of the kernel is added to these (see wanted_modules).
BASE_MODULES="ip_vs nf_conntrack nf_defrag_ipv4 nf_defrag_ipv6 libcrc32c
veth bridge macvlan ipvlan dummy 8021q ipip ip6_tunnel tunnel4 tunnel6"

mkdir -p "$VM_CACHE/kernel"

command -v "$VM_QEMU" >/dev/null ||
	vm_unavailable "$VM_QEMU not installed: apt-get install qemu-system-x86"
command -v cpio >/dev/null || vm_unavailable "cpio not installed: apt-get install cpio"

vm_lock

# --- the kernel -------------------------------------------------------------

# fetch_kernel: resolve the current linux-image-*-cloud-amd64 with apt and
# download it unless that version is cached. Sets kdir.
fetch_kernel() {
	if ! command -v apt-cache >/dev/null || ! command -v apt-get >/dev/null; then
		fetch_failed "apt-get not found: the harness downloads Debian's cloud kernel with apt"
		return 0
	fi
	local pkg ver name tmp
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-.*-cloud-amd64$/ { print $2; exit }') || true
	[ -n "$pkg" ] || { fetch_failed "apt knows no linux-image-cloud-amd64: run apt-get update"; return 0; }
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '$1 == "Version:" { print $2; exit }') || true
	[ -n "$ver" ] || { fetch_failed "apt knows no version of $pkg: run apt-get update"; return 0; }
	name="${pkg}_${ver}"
	kdir="$VM_CACHE/kernel/$name"
	if [ -s "$kdir/vmlinuz" ] && [ -s "$kdir/pkg.deb" ]; then
		echo "$name" >"$VM_CACHE/kernel/current"
		return 0
	fi
	vm_log "downloading $pkg $ver"
	tmp=$(mktemp -d "$VM_CACHE/kernel/dl.XXXXXX")
	local sandbox=()
	[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
	if ! (cd "$tmp" && timeout 300 apt-get download -q "${sandbox[@]}" \
		-o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30 -o Acquire::Retries=2 \
		"$pkg=$ver" >"$tmp/apt.log" 2>&1); then
		tail -n 5 "$tmp/apt.log" >&2 || true
		rm -rf "$tmp"
		fetch_failed "apt-get download $pkg failed: no network or mirror unreachable?"
		return 0
	fi
	mv "$tmp"/*.deb "$tmp/pkg.deb"
	mkdir "$tmp/x"
	dpkg-deb -x "$tmp/pkg.deb" "$tmp/x" 2>/dev/null || dpkg -x "$tmp/pkg.deb" "$tmp/x" ||
		{ rm -rf "$tmp"; vm_die "cannot unpack $pkg"; }
	cp "$tmp"/x/boot/vmlinuz-* "$tmp/vmlinuz"
	ls "$tmp/x/lib/modules" >"$tmp/kver"
	rm -rf "$tmp/x" "$tmp/apt.log"
	rm -rf "$kdir"
	mv "$tmp" "$kdir"
	echo "$name" >"$VM_CACHE/kernel/current"
	# Older kernels are not used any more.
	find "$VM_CACHE/kernel" -mindepth 1 -maxdepth 1 -type d -name 'linux-image-*' \
		! -name "$name" -exec rm -rf {} + 2>/dev/null || true
}

# fetch_failed REASON: like vm_unavailable, but a cached kernel still serves
# when only the refresh failed.
fetch_failed() {
	if [ -n "${cached_kernel:-}" ]; then
		vm_log "warning: $*; keeping the cached kernel $cached_kernel"
		kdir="$VM_CACHE/kernel/$cached_kernel"
		return 0
	fi
	vm_unavailable "$*"
}

cached_kernel=
if [ -s "$VM_CACHE/kernel/current" ]; then
	cached_kernel=$(cat "$VM_CACHE/kernel/current")
	[ -s "$VM_CACHE/kernel/$cached_kernel/vmlinuz" ] || cached_kernel=
fi
kernel_start=$(vm_now)
if [ "$force" = 1 ] || [ -z "$cached_kernel" ]; then
	fetch_kernel
	vm_log "kernel $(basename "$kdir") ready in $(vm_since "$kernel_start") s"
else
	kdir="$VM_CACHE/kernel/$cached_kernel"
fi
kver=$(cat "$kdir/kver")

# --- the base initramfs -----------------------------------------------------

# Host tools copied into the image with their libraries. ipvsadm and ip are
# required; keepalived (and genhash, the same binary) when installed.
tool_path() { command -v "$1" 2>/dev/null || true; }
return_unavailable_tool() {
	vm_unavailable "$1 not installed on this host: apt-get install ipvsadm iproute2"
}
ipvsadm_bin=$(tool_path ipvsadm)
ip_bin=$(tool_path ip)
[ -n "$ipvsadm_bin" ] || return_unavailable_tool "ipvsadm"
[ -n "$ip_bin" ] || return_unavailable_tool "ip"
keepalived_bin=$(tool_path keepalived)
genhash_bin=$(tool_path genhash)
dash_bin=$(tool_path dash)
# Host programs copied when present. Debian's busybox applets that run
# another program (unshare, timeout, env, xargs, ...) run busybox's own applet
# of that name before anything in PATH, so `unshare -n ip ...` would get
# busybox's ip; the real ones do not. ss, bridge, tc: the rest of iproute2.
EXTRA_TOOLS="unshare nsenter setsid env timeout nice nohup chroot xargs taskset ss bridge tc tcpdump"
extra_bins=()
for t in $EXTRA_TOOLS; do
	p=$(tool_path "$t")
	if [ -n "$p" ]; then
		extra_bins+=("$p")
	fi
done

busybox_bin=
for b in "$(tool_path busybox)" /bin/busybox /usr/bin/busybox; do
	# Only a static busybox runs without the libraries of the image.
	if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
		busybox_bin=$b
		break
	fi
done
[ -n "$busybox_bin" ] || vm_unavailable "no static busybox: apt-get install busybox-static"

stamp_input() {
	cat "$VM_DIR/build-image.sh" "$VM_DIR/init" "$VM_DIR/lib.sh"
	echo "$kdir"
	for f in "$busybox_bin" "$ipvsadm_bin" "$ip_bin" "$keepalived_bin" "$dash_bin" "${extra_bins[@]}"; do
		if [ -n "$f" ]; then
			stat -L -c '%n %s %Y' "$f"
		fi
	done
}
stamp=$(stamp_input | sha256sum | cut -c1-16)
base="$VM_CACHE/base-$stamp.cpio"

# wanted_modules: the boot modules plus every module under net/netfilter/ipvs.
wanted_modules() {
	local moddir=$1
	# shellcheck disable=SC2086 # one module a word
	printf '%s\n' $BASE_MODULES
	find "$moddir/kernel/net/netfilter/ipvs" -name '*.ko' -printf '%f\n' | sed 's/\.ko$//'
}

# module_order MODDIR: the wanted modules and their dependencies, each after
# what it depends on, as paths relative to MODDIR. Dependencies come from the
# modules' own .modinfo "depends=" strings, so no depmod is needed.
module_order() {
	local moddir=$1 f n
	declare -gA modpath=() seen=()
	while read -r f; do
		n=$(basename "$f" .ko)
		modpath[${n//-/_}]=$f
	done < <(cd "$moddir" && find kernel -name '*.ko')
	order=()
	for n in $(wanted_modules "$moddir"); do
		visit_module "$moddir" "${n//-/_}"
	done
}

visit_module() {
	local moddir=$1 n=$2 d
	[ -n "${seen[$n]:-}" ] && return 0
	seen[$n]=1
	if [ -z "${modpath[$n]:-}" ]; then
		grep -q "/${n}.ko\$" "$moddir/modules.builtin" 2>/dev/null && return 0
		grep -q "/${n//_/-}.ko\$" "$moddir/modules.builtin" 2>/dev/null && return 0
		vm_die "kernel module $n is neither in $kver's package nor built in"
	fi
	for d in $(tr '\0' '\n' <"$moddir/${modpath[$n]}" | sed -n 's/^depends=//p' | tr ',' ' '); do
		visit_module "$moddir" "${d//-/_}"
	done
	order+=("${modpath[$n]}")
}

# copy_with_libs SRC DEST_IN_STAGE: copy a dynamically linked binary and the
# libraries ldd lists (at their host paths, with the loader).
copy_with_libs() {
	local src=$1 dest=$2 lib
	mkdir -p "$stage$(dirname "$dest")"
	cp -L "$src" "$stage$dest"
	for lib in $(ldd "$src" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		[ -e "$stage$lib" ] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}

build_base() {
	local t0 tmp moddir m applet
	t0=$(vm_now)
	tmp=$(mktemp -d "$VM_CACHE/build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	stage="$tmp/root"
	mkdir -p "$tmp/x" "$stage"
	dpkg-deb -x "$kdir/pkg.deb" "$tmp/x" 2>/dev/null || dpkg -x "$kdir/pkg.deb" "$tmp/x"
	moddir="$tmp/x/lib/modules/$kver"

	# A merged-/usr layout like Debian's, so every path ldd prints exists.
	mkdir -p "$stage"/usr/{bin,sbin,lib,lib64} "$stage"/{dev,proc,sys,tmp,run,root,etc,tests,var}
	ln -s usr/bin "$stage/bin"
	ln -s usr/sbin "$stage/sbin"
	ln -s usr/lib "$stage/lib"
	ln -s usr/lib64 "$stage/lib64"
	ln -s ../run "$stage/var/run"
	mkdir -p "$stage/var/tmp"
	chmod 1777 "$stage/tmp" "$stage/var/tmp"

	# Real tools first: busybox links must not shadow them.
	copy_with_libs "$ipvsadm_bin" /usr/sbin/ipvsadm
	copy_with_libs "$ip_bin" /usr/sbin/ip
	if [ -n "$keepalived_bin" ]; then
		copy_with_libs "$keepalived_bin" /usr/sbin/keepalived
		if [ -n "$genhash_bin" ]; then
			ln -s keepalived "$stage/usr/sbin/genhash"
		fi
	else
		vm_log "warning: keepalived not installed on this host; the image has none"
	fi
	# /bin/sh: dash when the host has it. Debian's busybox sh runs its own
	# applets before PATH, so `sh -c 'ip ...'` (keepalived's scripts, tests)
	# would get busybox's reduced ip instead of iproute2's.
	if [ -n "$dash_bin" ]; then
		copy_with_libs "$dash_bin" /usr/bin/dash
		ln -s dash "$stage/usr/bin/sh"
	fi
	for f in "${extra_bins[@]}"; do
		copy_with_libs "$f" "$f"
	done
	cp "$busybox_bin" "$stage/usr/bin/busybox"
	for applet in $("$busybox_bin" --list); do
		[ -e "$stage/usr/bin/$applet" ] || [ -e "$stage/usr/sbin/$applet" ] ||
			[ -L "$stage/usr/bin/$applet" ] || [ -L "$stage/usr/sbin/$applet" ] ||
			ln -s busybox "$stage/usr/bin/$applet"
	done

	# Kernel modules, in load order, and a modules.dep for busybox modprobe.
	module_order "$moddir"
	mkdir -p "$stage/lib/modules/$kver"
	: >"$stage/etc/vm-modules"
	for m in "${order[@]}"; do
		mkdir -p "$stage/lib/modules/$kver/$(dirname "$m")"
		cp "$moddir/$m" "$stage/lib/modules/$kver/$m"
		case "$m" in
		# No dummy0 at boot: tests name their own interfaces.
		*/dummy.ko) echo "$m numdummies=0" ;;
		*) echo "$m" ;;
		esac >>"$stage/etc/vm-modules"
	done
	for m in "${order[@]}"; do
		local deps="" d
		for d in $(tr '\0' '\n' <"$moddir/$m" | sed -n 's/^depends=//p' | tr ',' ' '); do
			if [ -n "${modpath[${d//-/_}]:-}" ]; then
				deps="${modpath[${d//-/_}]} $deps"
			fi
		done
		echo "$m: $deps"
	done >"$stage/lib/modules/$kver/modules.dep"
	cp "$moddir/modules.builtin" "$stage/lib/modules/$kver/" 2>/dev/null || true

	# What programs expect of /etc.
	# tcpdump: Debian's tcpdump drops root for that user.
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
		'tcpdump:x:100:100::/nonexistent:/usr/sbin/nologin' \
		'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$stage/etc/passwd"
	printf '%s\n' 'root:x:0:' 'tcpdump:x:100:' 'nogroup:x:65534:' 'nobody:x:65534:' >"$stage/etc/group"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$stage/etc/hosts"
	printf 'passwd: files\ngroup: files\nhosts: files\n' >"$stage/etc/nsswitch.conf"
	: >"$stage/etc/resolv.conf"
	echo gokeepalived-vm >"$stage/etc/hostname"
	for f in /etc/services /etc/protocols; do
		if [ -r "$f" ]; then
			cp "$f" "$stage$f"
		fi
	done
	install -m 0755 "$VM_DIR/init" "$stage/init"

	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$tmp/base.cpio"
	mv "$tmp/base.cpio" "$base"
	rm -rf "$tmp"
	trap - EXIT
	vm_log "base image $(basename "$base") built in $(vm_since "$t0") s ($(du -m "$base" | cut -f1) MB, ${#order[@]} modules)"
}

if [ "$force" = 1 ]; then
	rm -f "$VM_CACHE"/base-*.cpio "$VM_CACHE/kvm-probe"
fi
if [ ! -s "$base" ]; then
	build_base
fi
touch "$base"
# Keep the three base images used last (worktrees with other scripts build
# their own); drop the rest once no run has used them for 10 minutes.
# shellcheck disable=SC2012 # names are base-HEX.cpio
ls -t "$VM_CACHE"/base-*.cpio | tail -n +4 | while read -r old; do
	find "$old" -mmin +10 -delete 2>/dev/null || true
done

# --- KVM or software emulation ----------------------------------------------

# KVM is used when it boots this image; the answer is kept per host, kernel
# and qemu. VM_ACCEL=tcg|kvm overrides the probe.
probe_key="$(uname -n) $(uname -r) $("$VM_QEMU" --version | head -n 1) $(basename "$kdir")"
accel=${VM_ACCEL:-}
if [ -z "$accel" ] && [ -s "$VM_CACHE/kvm-probe" ] && [ "$(head -n 1 "$VM_CACHE/kvm-probe")" = "$probe_key" ]; then
	accel=$(sed -n 2p "$VM_CACHE/kvm-probe")
fi
if [ -z "$accel" ]; then
	accel=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		probe_out=$(timeout 30 "$VM_QEMU" -accel kvm -cpu host -m 256 -smp 1 \
			-display none -monitor none -serial stdio -no-reboot -nic none \
			-kernel "$kdir/vmlinuz" -initrd "$base" \
			-append "console=ttyS0 quiet loglevel=1 panic=-1 gokeepalived.probe=1" </dev/null 2>&1 || true)
		if grep -q 'GOKEEPALIVED-VM-PROBE-OK' <<<"$probe_out"; then
			accel=kvm
		fi
	fi
	vm_log "accelerator: $accel (probed once; VM_ACCEL=tcg|kvm overrides, make vm-image probes again)"
	printf '%s\n%s\n' "$probe_key" "$accel" >"$VM_CACHE/kvm-probe"
fi

vm_unlock
printf 'VM_KERNEL=%q\nVM_BASE=%q\nVM_KVER=%q\nVM_ACCEL=%q\n' "$kdir/vmlinuz" "$base" "$kver" "$accel"
