#!/usr/bin/env bash
# Builds debian:bookworm-slim locally with debootstrap when no registry can be reached.
# Idempotent: does nothing when the image is already there.
set -euo pipefail
image=${ORCH_BASE_IMAGE:-debian:bookworm-slim}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image: present"
  exit 0
fi
if docker pull "$image" >/dev/null 2>&1; then
  echo "base image $image: pulled"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap missing: apt-get install -y debootstrap" >&2; exit 1; }
dir=$(mktemp -d /tmp/orch-rootfs.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "base image $image: bootstrapping with debootstrap (about a minute)"
debootstrap --variant=minbase bookworm "$dir" "$mirror" >/tmp/orch-debootstrap.log 2>&1 || {
  tail -20 /tmp/orch-debootstrap.log >&2; exit 1; }
# Slim the image the way the official one is slimmed: no apt lists, no docs.
rm -rf "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/var/cache/apt/*.bin
tar -C "$dir" -c . | docker import -c 'CMD ["bash"]' - "$image" >/dev/null
echo "base image $image: imported"
