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
installed_here() {  # (from / so that ./localflow of the current folder does not count)
  (cd / && "$py" - "$root") <<'PY' 2>/dev/null
import os, sys
import localflow, pytest  # noqa: F401
sys.exit(0 if os.path.realpath(localflow.__file__).startswith(sys.argv[1] + os.sep) else 1)
PY
}
if [ -f "$stamp" ] && installed_here; then
  echo "setup: localflow already installed (editable) from $root"
else
  t0=$SECONDS
  if ! "$py" -m pip --version >/dev/null 2>&1; then
    echo "setup: $py has no pip: installing Debian's python3-pip"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip </dev/null >/dev/null
  fi
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore
  if ! out=$("$py" -m pip install -q -e '.[test]' </dev/null 2>&1); then
    if grep -q externally-managed-environment <<<"$out"; then
      # a distribution's own python (PEP 668): install beside its packages all the same
      "$py" -m pip install -q --break-system-packages -e '.[test]' </dev/null
    else
      echo "$out" >&2
      exit 1
    fi
  fi
  mkdir -p "$stamp_dir" && touch "$stamp"
  echo "setup: pip install -e '.[test]' done in $((SECONDS - t0)) s"
fi

# bytecode for localflow's modules, so that start-up reads it even where PYTHONDONTWRITEBYTECODE is set
"$py" -m compileall -q localflow >/dev/null 2>&1 || true

# headless Chromium for the HTML report's browser test (Debian's package): installed, or set-up fails
# (the tests need it: without it they skip on a developer's machine and fail in CI)
if ! command -v chromium >/dev/null 2>&1 && ! command -v "${LOCALFLOW_CHROMIUM:-chromium}" >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: headless Chromium is missing and there is no apt-get to install it: install chromium" \
         "(or set LOCALFLOW_CHROMIUM to a Chromium binary)" >&2
    exit 1
  fi
  echo "setup: installing Debian's chromium (for the report's browser test)"
  if ! log=$({ DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
               DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } </dev/null 2>&1); then
    echo "$log" | tail -20 >&2
    echo "setup: chromium could not be installed (apt-get failed, above)" >&2
    exit 1
  fi
fi

bash scripts/images/build.sh
