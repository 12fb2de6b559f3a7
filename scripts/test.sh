#!/usr/bin/env bash
# Set the machine up (scripts/setup.sh), then run pytest with the given arguments.
# Exits with pytest's code, except that "no tests collected" (5) counts as a failure.
# Skips are listed with their reasons (-rs) and counted at the end (tests/conftest.py); with CI set,
# what the machine lacks fails the test (tests/needs.py) and any skip but the kernel refusing
# privileged containers fails the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
bash scripts/ensure-test-engines.sh   # the remote-engine and Podman tests start engines of their own

rc=0
"${PYTHON:-python3}" -m pytest -q -rs --strict-markers "$@" </dev/null || rc=$?
if [ "$rc" -eq 5 ]; then
  echo "test.sh: pytest collected no tests: failing" >&2
  exit 1
fi
exit "$rc"
