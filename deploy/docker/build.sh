#!/usr/bin/env bash
# Builds the orch image from a built static binary: build.sh [ORCH_BINARY [TAG]] (default build/orch, orch:local).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/orch}
tag=${2:-orch:local}
[ -x "$bin" ] || { echo "build.sh: no orch binary at $bin (run make first)" >&2; exit 1; }
if ldd "$bin" >/dev/null 2>&1; then echo "build.sh: $bin is not static; the image has no libc (build with ORCH_STATIC=ON)" >&2; exit 1; fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/usr/bin" "$ctx/rootfs/etc/ssl/certs" "$ctx/rootfs/tmp" "$ctx/rootfs/var/cache" "$ctx/rootfs/var/lib/orch"
chmod 1777 "$ctx/rootfs/tmp"
cp "$bin" "$ctx/rootfs/usr/bin/orch"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/rootfs/etc/ssl/certs/"
else
  echo "build.sh: warning: no /etc/ssl/certs/ca-certificates.crt here; 'orch pricing refresh' in the image cannot verify https" >&2
fi
docker build -q -t "$tag" -f "$here/Dockerfile" "$ctx"
