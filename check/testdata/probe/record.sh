#!/bin/sh
# Re-record the HTTP_GET/SSL_GET golden files from Debian's genhash
# (apt-get install keepalived). Run from the repository root.
set -e
exec go run ./check/testdata/probe/record -genhash "${GENHASH:-/usr/bin/genhash}" -out check/testdata/probe/http
