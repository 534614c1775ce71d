#!/usr/bin/env bash
# `make up`: provision, migrate, load the demo data, serve on http://127.0.0.1:8000.
set -euo pipefail
source "$(dirname "$0")/provision.sh"
provision "${FONCIER_DB_NAME:-foncier}"
cd "$ROOT"
say "migrating $FONCIER_DATABASE_URL"
foncier db upgrade >/dev/null
say "loading the demo data"
foncier demo load
exec foncier serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
