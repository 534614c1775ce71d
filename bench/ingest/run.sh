#!/usr/bin/env bash
# Ingest benchmark (bench/README.md): foncier import cadastre vs ogr2ogr on >= 1 000 000 parcels.
# Usage: bench/ingest/run.sh [--regenerate] [--no-ogr-next] [--no-readme] [--tiles N]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq time >/dev/null
  else
    echo "note: /usr/bin/time is missing (apt-get install time); memory is still sampled" >&2
  fi
fi
command -v ogr2ogr >/dev/null || { echo "ogr2ogr is missing: apt-get install gdal-bin" >&2; exit 1; }
exec .venv/bin/python bench/ingest/run.py "$@"
