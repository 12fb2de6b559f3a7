#!/usr/bin/env bash
# What tests/docker/test_remote_engine.py needs besides Docker: iproute2 (ip netns, veth), util-linux
# (nsenter), openssl (TLS certificates), Debian's podman (a Podman engine the test starts itself) and
# catatonit (Podman's init: localflow runs every container with Docker's `init`, as a pod's PID 1 is not
# the user's process).
# Idempotent; installs only what is missing; starts no service. Used by scripts/test.sh.
set -euo pipefail

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v podman >/dev/null 2>&1 || need+=(podman)
[ -x /usr/libexec/podman/catatonit ] || need+=(catatonit)
if [ "${#need[@]}" -eq 0 ]; then
  echo "ensure-test-engines: ip, nsenter, openssl, podman and catatonit present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"   # the tests themselves need root anyway
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq </dev/null >/dev/null
$sudo apt-get install -y -qq "${need[@]}" </dev/null >/dev/null
echo "ensure-test-engines: installed ${need[*]}"
