# Shared settings and helpers of the VM test harness; sourced, not run.
# See scripts/vm/README.md for the contract.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_REPO=$(cd "$VM_DIR/../.." && pwd)
if [ -n "${GOKEEPALIVED_VM_CACHE:-}" ]; then
	VM_CACHE=$GOKEEPALIVED_VM_CACHE
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
	VM_CACHE=$XDG_CACHE_HOME/gokeepalived-vm
elif [ -n "${HOME:-}" ]; then
	VM_CACHE=$HOME/.cache/gokeepalived-vm
else
	VM_CACHE=/var/tmp/gokeepalived-vm-$(id -u)
fi

# Exit status meaning "the VM cannot run on this host" (missing tool, kernel
# not downloadable). make test turns it into a SKIP line.
VM_UNAVAILABLE=77

VM_QEMU=${VM_QEMU:-qemu-system-x86_64}

vm_log() { printf 'vm: %s\n' "$*" >&2; }

# vm_unavailable REASON: stop with the "cannot run here" status.
# When VM_REASON_FILE is set (run-tests.sh), the reason goes there instead
# of stderr, and the caller reports it.
vm_unavailable() {
	if [ -n "${VM_REASON_FILE:-}" ]; then
		printf '%s\n' "$*" >"$VM_REASON_FILE"
	else
		printf 'vm: unavailable: %s\n' "$*" >&2
	fi
	exit "$VM_UNAVAILABLE"
}

vm_die() {
	printf 'vm: FAIL: %s\n' "$*" >&2
	exit 1
}

# vm_now: seconds since the epoch with milliseconds.
vm_now() { date +%s.%3N; }

# vm_since START: seconds elapsed since START (from vm_now), 1 decimal.
vm_since() { awk -v a="$1" -v b="$(vm_now)" 'BEGIN { printf "%.1f", b - a }'; }

# vm_lock: hold an exclusive lock on the cache for the rest of the script,
# so parallel runs (several worktrees share the cache) do not build the same
# files at once.
vm_lock() {
	mkdir -p "$VM_CACHE"
	if command -v flock >/dev/null; then
		exec 9>"$VM_CACHE/lock"
		flock 9
	fi
}

vm_unlock() {
	if command -v flock >/dev/null; then
		flock -u 9 2>/dev/null || true
	fi
}
