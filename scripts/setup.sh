#!/usr/bin/env bash
# One-shot set-up of a machine for localflow (idempotent, safe to re-run, any cwd):
#   1. a running Docker engine (scripts/ensure-docker.sh)
#   2. localflow installed editable with its test extras (skipped when already done for
#      this checkout and this pyproject.toml)
#   3. the offline stand-in images (scripts/images/build.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd -P)

bash scripts/ensure-docker.sh

py=${PYTHON:-python3}
stamp_dir=${XDG_CACHE_HOME:-$HOME/.cache}/localflow
key=$({ cat pyproject.toml; echo "$root"; command -v "$py"; "$py" -c 'import sys; print(sys.prefix)'; } \
      | sha256sum | cut -c1-16)
stamp=$stamp_dir/pip-install-$key
installed_here() {
  "$py" - "$root" <<'PY' 2>/dev/null
import os, sys
import localflow, pytest  # noqa: F401
sys.exit(0 if os.path.realpath(localflow.__file__).startswith(sys.argv[1] + os.sep) else 1)
PY
}
if [ -f "$stamp" ] && installed_here; then
  echo "setup: localflow already installed (editable) from $root"
else
  t0=$SECONDS
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore \
    "$py" -m pip install -q -e '.[test]' </dev/null
  mkdir -p "$stamp_dir" && touch "$stamp"
  echo "setup: pip install -e '.[test]' done in $((SECONDS - t0)) s"
fi

bash scripts/images/build.sh
