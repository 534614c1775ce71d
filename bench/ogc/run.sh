#!/usr/bin/env bash
# OGC benchmark (issue 5): Foncier's /ogc against tipg on 100 000 sites. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python bench/ogc/run.py "$@"
