#!/usr/bin/env bash
# `make test`: the same provisioning for a separate database (foncier_test), then the whole suite.
set -euo pipefail
source "$(dirname "$0")/provision.sh"
provision "${FONCIER_TEST_DB_NAME:-foncier_test}"
cd "$ROOT"
exec pytest "$@"
