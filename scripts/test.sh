#!/usr/bin/env bash
# The whole suite: on SQLite (the embedded default), then on PostgreSQL when it
# can be reached or started. What cannot run is skipped with one line saying so.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
PG_URL="${MASTHEAD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/masthead}"

if [ ! -x "${MASTHEAD_CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "masthead test: Chromium not found at ${MASTHEAD_CHROMIUM:-/usr/bin/chromium}: browser tests are skipped (apt-get install -y chromium)"
fi

postgres_reachable() {
    python - "$PG_URL" <<'PY' >/dev/null 2>&1
import sys, psycopg
from urllib.parse import urlsplit
url = urlsplit(sys.argv[1])
psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username, dbname="postgres", connect_timeout=3).close()
PY
}

echo "== Masthead tests on SQLite"
python -m pytest "$@" || status=$?

if ! postgres_reachable && command -v pg_ctlcluster >/dev/null 2>&1; then
    for version in $(ls /etc/postgresql 2>/dev/null); do
        pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
    done
fi
if postgres_reachable; then
    echo "== Masthead tests on PostgreSQL ($PG_URL)"
    DATABASE_URL="$PG_URL" python -m pytest "$@" || status=$?
else
    echo "masthead test: PostgreSQL unreachable at $PG_URL and could not be started: the PostgreSQL run is skipped"
fi
exit $status
