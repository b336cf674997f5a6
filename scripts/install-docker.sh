#!/usr/bin/env bash
# Installs a Docker engine from Debian's packages (docker.io), registers gVisor (runsc) as a runtime
# when it can be installed, and starts dockerd if none answers. Idempotent; needs root.
set -euo pipefail
log=${ORCH_DOCKERD_LOG:-/var/log/orch-dockerd.log}

if docker info >/dev/null 2>&1; then
  echo "docker engine: running ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-docker.sh: run as root (sudo $0)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v runsc >/dev/null || need+=(runsc)
if [ ${#need[@]} -gt 0 ]; then
  echo "docker engine: installing ${need[*]}"
  apt-get update -qq
  # runsc is optional: install the rest even if it is not available.
  apt-get install -y -qq "${need[@]}" >/dev/null || apt-get install -y -qq docker.io debootstrap >/dev/null
fi

# gVisor with ptrace works on machines without KVM; its network is off, as sandboxes want.
if command -v runsc >/dev/null && ! grep -q runsc /etc/docker/daemon.json 2>/dev/null; then
  mkdir -p /etc/docker
  cat > /etc/docker/daemon.json <<JSON
{
  "runtimes": {
    "runsc": {"path": "$(command -v runsc)", "runtimeArgs": ["--platform=ptrace", "--network=none"]}
  }
}
JSON
fi

if ! pgrep -x dockerd >/dev/null; then
  echo "docker engine: starting dockerd (log: $log)"
  mkdir -p "$(dirname "$log")"
  # A stale pid file from an engine that did not survive its session blocks a new start.
  rm -f /var/run/docker.pid
  pgrep -x containerd >/dev/null || rm -f /run/containerd/containerd.pid
  nohup dockerd >"$log" 2>&1 &
fi
for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && { echo "docker engine: running"; exit 0; }
  sleep 0.5
done
echo "docker engine: dockerd did not come up; last lines of $log:" >&2
tail -20 "$log" >&2
exit 1
