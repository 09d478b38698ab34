#!/usr/bin/env python3
"""Compare the diagnostics of keepalived -t and gokeepalived -t over the corpus.

Usage (as root): scripts/compare-messages.py GOKEEPALIVED_BINARY [SHARED_DIR]

Runs the corpus's run-expected.sh twice (keepalived, then gokeepalived) with
LOGDIR set, strips keepalived's "(FILE: Line N)" prefixes and gokeepalived's
"file:line:col: severity:" prefixes, and reports how many of keepalived's
distinct messages gokeepalived also prints, per file and overall.
gokeepalived's own [gokeepalived] lint lines are left out.
"""
import os
import re
import subprocess
import sys
import tempfile

gobin = os.path.abspath(sys.argv[1])
shared = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
script = os.path.join(shared, "corpus", "run-expected.sh")
tmp = tempfile.mkdtemp()
for who, binary in (("ka", "keepalived"), ("go", gobin)):
    env = dict(os.environ, KEEPALIVED=binary, OUT=os.path.join(tmp, who + ".tsv"), LOGDIR=os.path.join(tmp, who), TIMEOUT="10")
    subprocess.run(["bash", script], env=env, check=True, stdout=subprocess.DEVNULL)

ka_prefix = re.compile(r"^\((?:[^:()]+: )?Line \d+\) ")
go_prefix = re.compile(r"^[^ ]*?(?::\d+){0,2}: (?:error|warning|note): ")


def messages(path, prefix):
    out = set()
    for line in open(path, errors="replace"):
        line = line.strip()
        if not line or "[gokeepalived]" in line:
            continue
        out.add(prefix.sub("", line))
    return out


total = matched = 0
worst = []
for name in sorted(os.listdir(os.path.join(tmp, "ka"))):
    ka = messages(os.path.join(tmp, "ka", name), ka_prefix)
    go = messages(os.path.join(tmp, "go", name), go_prefix)
    hit = len(ka & go)
    total += len(ka)
    matched += hit
    if ka - go:
        worst.append((len(ka - go), name, sorted(ka - go)[:3]))
print(f"keepalived's distinct messages reproduced word for word: {matched}/{total} ({100.0 * matched / max(total, 1):.1f}%)")
for missing, name, sample in sorted(worst, reverse=True)[:15]:
    print(f"  {name}: {missing} missing, e.g. {sample}")
