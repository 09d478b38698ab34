#!/usr/bin/env bash
# Run `keepalived -t` and `gokeepalived -t` on each FILE inside a private
# network namespace holding the interfaces the corpus names, and print
# "file<TAB>keepalived_rc<TAB>gokeepalived_rc" per file.
# Usage: compare-t.sh GOKEEPALIVED INTERFACES_TXT FILE...   (as root)
set -u
if [ "${1:-}" != "--in-netns" ]; then
	exec unshare --net -- "$0" --in-netns "$@"
fi
shift
gobin=$1 ifaces=$2
shift 2
ip link set lo up
i=0
while read -r ifn; do
	[ -z "$ifn" ] && continue
	i=$((i + 1))
	ip link add "$ifn" type veth peer name "kapeer$i" && ip link set "kapeer$i" up && ip link set "$ifn" up
done < <(grep -v '^#' "$ifaces")
for f in "$@"; do
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin timeout 30 keepalived -t -f "$f" >/dev/null 2>&1 </dev/null
	ka=$?
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin timeout 30 "$gobin" -t -f "$f" >/dev/null 2>&1 </dev/null
	go=$?
	printf '%s\t%s\t%s\n' "$f" "$ka" "$go"
done
