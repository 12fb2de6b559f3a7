#!/usr/bin/env bash
# Make sure a Docker engine answers `docker info`.  Idempotent; prints one line of what it did.
#  - engine answering: nothing to do;
#  - no dockerd: apt-get update + apt-get install docker.io (non-interactive);
#  - dockerd not running: start it in the background (no systemd needed), output to
#    $LOCALFLOW_DOCKERD_LOG (default /var/log/localflow-dockerd.log), and wait up to 60 s.
set -euo pipefail

log=${LOCALFLOW_DOCKERD_LOG:-/var/log/localflow-dockerd.log}
wait_s=${LOCALFLOW_DOCKERD_WAIT:-60}

if docker info >/dev/null 2>&1; then
  echo "ensure-docker: Docker engine already running ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
  exit 0
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else echo "ensure-docker: need root to run: $*" >&2; exit 1
  fi
}

did=""
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq </dev/null >/dev/null
  as_root apt-get install -y -qq -o Dpkg::Options::=--force-confold docker.io </dev/null >/dev/null
  did="installed docker.io; "
  # the package's init script may have started the engine already
  for _ in 1 2 3 4 5; do
    docker info >/dev/null 2>&1 && { echo "ensure-docker: ${did}Docker engine running"; exit 0; }
    sleep 1
  done
fi

pid=""
if [ -r /var/run/docker.pid ]; then pid=$(cat /var/run/docker.pid 2>/dev/null || true); fi
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  did="${did}waited for the running dockerd (pid $pid); "
else
  if [ -n "$pid" ]; then as_root rm -f /var/run/docker.pid; fi
  if ! touch "$log" 2>/dev/null; then log=${TMPDIR:-/tmp}/localflow-dockerd.log; fi
  # setsid: the engine outlives this script and the job that ran it
  as_root setsid nohup dockerd >>"$log" 2>&1 </dev/null &
  did="${did}started dockerd (log $log); "
fi

for ((i = 0; i < wait_s; i++)); do
  if docker info >/dev/null 2>&1; then
    echo "ensure-docker: ${did}Docker engine ready after ${i} s"
    exit 0
  fi
  sleep 1
done
echo "ensure-docker: ${did}but the engine did not answer within ${wait_s} s; end of $log:" >&2
tail -n 30 "$log" >&2 || true
exit 1
