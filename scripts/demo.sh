#!/usr/bin/env bash
# make demo: the classic two-director LVS-DR cluster end to end, in the
# IPVS test VM (scripts/vm). Builds gokeepalived and the end-to-end test,
# boots the VM with gokeepalived.demo=1 so that TestE2EDemo runs, and prints
# the scenario's timeline: which director holds the VIP, which real servers
# are in IPVS, what the client sees, the failover figures.
#
# The directors are gokeepalived when its daemon is in this build (then the
# mixed cluster gokeepalived + keepalived runs too), else keepalived 2.2.7,
# which the timeline says. The whole VM output is kept in $DEMO_LOG
# (default bin/demo-vm.log).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
log=${DEMO_LOG:-bin/demo-vm.log}
mkdir -p "$(dirname "$log")"

echo "demo: building gokeepalived and its end-to-end test, booting the IPVS VM (qemu; a few minutes under TCG)"
echo "demo: the full VM output goes to $log"
VM_KERNEL_ARGS="${VM_KERNEL_ARGS:-} gokeepalived.demo=1" \
	scripts/vm/run-tests.sh -run '^TestE2EDemo$' ./cmd/gokeepalived 2>&1 | tee "$log" | awk '
	# t.Log lines: "    e2e_vm_test.go:NNN: [+  1.234s] text"; a multi-line
	# message (ipvsadm -Ln, the results) continues on lines indented 4 more.
	function head(re, rep) { ind = match($0, /[^ ]/) + 3; sub(re, rep); print; cont = 1; fflush() }
	/\[\+ *[0-9.]+s\]/ { head("^.*\\[\\+", "[+"); next }
	/DEMO: / { head("^.*DEMO: ", ""); next }
	/^ *--- (PASS|FAIL|SKIP)/ || /^(PASS|FAIL)$/ { sub(/^ */, ""); print; cont = 0; fflush(); next }
	/^vm: / || /^SKIP: / || /GOKEEPALIVED-VM: ready/ { print; cont = 0; fflush(); next }
	cont && /^ / && !/^ *(===|---) / { print "    " substr($0, ind + 1); fflush(); next }
	{ cont = 0 }
	'
st=${PIPESTATUS[0]}
case "$st" in
0) echo "demo: done" ;;
77) echo "demo: the IPVS VM cannot run on this host (see the reason above); the demo needs qemu-system-x86, busybox-static, cpio and ipvsadm" ;;
*) echo "demo: FAILED (status $st); see $log" ;;
esac
exit "$st"
