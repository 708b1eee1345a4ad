#!/usr/bin/env bash
# scripts/test.sh -- the project's single test command, locally and in CI (.ci/run).
#
#   ./scripts/test.sh                 # lint, format check, type check, all tests
#   ./scripts/test.sh -k tariffs -x   # extra arguments go to pytest
#
# 1. creates .venv (python3 -m venv; apt-get installs python3-venv if missing) and installs
#    '.[test]' into it, again only when pyproject.toml changed (stamp .venv/.installed-<sha256>);
# 2. installs (if missing) and starts InfluxDB 1.x and VictoriaMetrics on free loopback ports
#    with temp data (scripts/tsdb.sh), exporting INFLUX1_URL and VM_URL; both are stopped and
#    their data deleted when this script exits, however it exits;
# 3. runs ruff check, ruff format --check, mypy, then pytest with LINKYFLUX_REQUIRE_SERVERS=1
#    (server tests fail instead of skipping); pytest collecting no test (exit 5) is a failure.
# Works as root on a fresh Debian 12 with python3, curl and apt (root or sudo needed only when a
# Debian package is missing). The last line printed says how it went.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

T0=$EPOCHREALTIME
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }'; }
step() { printf '==> %s\n' "$*"; }
fail() { # fail EXIT_CODE WHAT...
  local rc=$1
  shift
  printf '\ntest.sh: FAILED: %s (exit %s) after %s\n' "$*" "$rc" "$(elapsed)"
  exit "$rc"
}

# shellcheck source=scripts/tsdb.sh
source scripts/tsdb.sh

# --- 1. virtualenv ------------------------------------------------------------------------
if [ ! -x .venv/bin/python ] || [ ! -x .venv/bin/pip ]; then
  step "python3 -m venv .venv"
  rm -rf .venv
  if ! venv_err=$(python3 -m venv .venv 2>&1); then
    rm -rf .venv
    if dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q 'ok installed'; then
      printf '%s\n' "$venv_err"
      fail 1 "python3 -m venv .venv"
    fi
    tsdb_apt_install python3-venv || fail 1 "apt-get install python3-venv"
    python3 -m venv .venv || fail $? "python3 -m venv .venv"
  fi
fi
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -e "$stamp" ]; then
  step "pip install -e '.[test]'"
  .venv/bin/pip install -q --disable-pip-version-check -e '.[test]' || fail $? "pip install -e '.[test]'"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# --- 2. test servers ----------------------------------------------------------------------
export TSDB_PYTHON="$PWD/.venv/bin/python" # faster than a python3 shim, for picking ports
tsdb_up || fail 1 "starting InfluxDB 1.x / VictoriaMetrics (scripts/tsdb.sh)"
trap 'fail 130 "interrupted"' INT # fail exits, and the EXIT trap stops the servers
trap 'fail 143 "terminated"' TERM

# --- 3. checks ----------------------------------------------------------------------------
step "ruff check linkyflux tests"
.venv/bin/ruff check linkyflux tests || fail $? "ruff check linkyflux tests"
step "ruff format --check linkyflux tests"
.venv/bin/ruff format --check linkyflux tests ||
  fail $? "ruff format --check linkyflux tests (run .venv/bin/ruff format linkyflux tests)"
step "mypy"
.venv/bin/mypy || fail $? "mypy"

step "pytest $*"
junit="$TSDB_DIR/junit.xml" # deleted with the servers' temp dir
rc=0
LINKYFLUX_REQUIRE_SERVERS=1 .venv/bin/pytest --junitxml="$junit" "$@" || rc=$?
# "P passed, F failed, S skipped" from the JUnit XML (absent if the run died early).
counts=$(.venv/bin/python - "$junit" <<'PY' 2>/dev/null || true
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
n = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
bad = n["failures"] + n["errors"]
print(f"{n['tests'] - bad - n['skipped']} passed, {bad} failed, {n['skipped']} skipped")
PY
)
case $rc in
0) ;;
5) fail 5 "pytest collected no tests${*:+ (pytest args: $*)}" ;;
*)
  printf '\ntest.sh: FAILED: pytest (exit %s) after %s\n' "$rc" "$(elapsed)"
  if [ -n "$counts" ]; then printf 'FAILED: %s\n' "$counts"; fi
  exit "$rc"
  ;;
esac

printf '\ntest.sh: OK: ruff check, ruff format --check, mypy and pytest passed in %s\n' "$(elapsed)"
if [ -n "$counts" ]; then printf 'OK: %s\n' "$counts"; fi
