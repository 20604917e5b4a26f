#!/usr/bin/env bash
# Creates .venv inside the checkout and installs the project with every dependency; installs
# the Debian packages the engines and tests use when they are missing (Java 17 for the Spark
# engine, PostgreSQL 15 for shared governance state), if apt-get can (root).
# Idempotent: a second run with nothing changed takes a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv" >&2
  "$PY" -m venv .venv
fi
stamp=.venv/.commons-installed
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] installing dependencies (torch pinned to the local CPU build; first time takes a few minutes)" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip >&2
  .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[test]" >&2
  echo "$want" > "$stamp"
fi

# Debian packages: only what is missing, only when apt-get can install it.
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql-15)
if [ "${#need[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "[setup] installing ${need[*]} (Debian)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${need[@]}" >/dev/null; } \
      || echo "[setup] could not install ${need[*]}: the Spark / PostgreSQL tests will be skipped" >&2
  else
    echo "[setup] ${need[*]} missing (and cannot apt-get install it): the Spark / PostgreSQL tests will be skipped" >&2
  fi
fi
