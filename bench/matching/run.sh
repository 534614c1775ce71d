#!/usr/bin/env bash
# Matching benchmark (bench/README.md): POST /api/v1/matches vs the raw ranking SQL, 100 000 sites.
# Usage: bench/matching/run.sh [--repeat N] [--rebuild] [--no-readme] [--db NAME]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python bench/matching/run.py "$@"
