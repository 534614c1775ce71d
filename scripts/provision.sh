#!/usr/bin/env bash
# Provisioning shared by `make up` and `make test` (sourced, not run): installs what is missing
# (a virtualenv with the project; PostgreSQL and PostGIS from Debian's packages when absent and
# running as root), starts PostgreSQL when it is not running, and creates the database.
# After `provision <dbname>`, FONCIER_DATABASE_URL points at that database and .venv/bin is on PATH.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
APT_UPDATED=0

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    die "missing system packages: $*. Install them (sudo apt-get install -y $*) or run as root."
  fi
  command -v apt-get >/dev/null || die "missing system packages: $* (no apt-get here: install them by hand)"
  if [ "$APT_UPDATED" = 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1; }

ensure_postgres() {
  if [ -z "$(pg_major)" ] || [ ! -x "/usr/lib/postgresql/$(pg_major)/bin/postgres" ]; then
    apt_install postgresql
  fi
  local major; major="$(pg_major)"
  if [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
    apt_install "postgresql-$major-postgis-3"
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && ! pg_isready -q 2>/dev/null; then
    [ "$(id -u)" = 0 ] || die "PostgreSQL is not running: start it (pg_ctlcluster $major main start)"
    if ! pg_lsclusters -h 2>/dev/null | grep -q "^$major "; then
      say "creating the PostgreSQL $major cluster"
      pg_createcluster "$major" main >/dev/null
    fi
    say "starting PostgreSQL $major"
    pg_ctlcluster --skip-systemctl-redirect "$major" main start 2>/dev/null \
      || pg_ctlcluster "$major" main start
    for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
  fi
}

# Debian's Chromium for the browser tests (tests/browser drive it with Playwright; Playwright's
# own browser download is not used). Missing without root: say so, the other commands still work.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  if [ "$(id -u)" != 0 ]; then
    say "warning: /usr/bin/chromium is missing; the browser tests need it (sudo apt-get install -y chromium)"
    return 0
  fi
  apt_install chromium
}

# GDAL's command-line tools (ogrinfo, ogr2ogr): the OGC tests load the service with its OAPIF and
# MVT drivers, as a GIS user's GDAL or QGIS would.
ensure_gdal() {
  command -v ogrinfo >/dev/null || apt_install gdal-bin
}

ensure_venv() {
  local py=""
  for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      py="$candidate"; break
    fi
  done
  [ -n "$py" ] || die "Python >= 3.11 is required (python3 is $(python3 --version 2>&1))"
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the virtualenv .venv"
    "$py" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; "$py" -m venv "$VENV"; }
  fi
  local stamp="$VENV/.provisioned"
  local want; want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing the project and its dependencies into .venv"
    "$VENV/bin/pip" install -q --disable-pip-version-check -e "$ROOT[dev]" 2>&1 \
      | grep -v "^WARNING: Location" >&2 || true
    "$VENV/bin/python" -c "import app, fastapi, geoalchemy2, psycopg" \
      || die "the Python install failed (see above)"
    echo "$want" > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

# Pick a URL that can reach the server: the configured one, else TCP as postgres (trust auth),
# else (root on a fresh Debian install, peer auth) the local socket as a superuser role of ours.
database_url() {
  local db="$1"
  if [ -n "${FONCIER_DATABASE_URL:-}" ]; then
    echo "${FONCIER_DATABASE_URL%/*}/$db"; return
  fi
  if psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
    echo "postgresql+psycopg://postgres@127.0.0.1:5432/$db"; return
  fi
  if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
    local me; me="$(id -un)"
    runuser -u postgres -- psql -Atqc \
      "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$me') THEN CREATE ROLE \"$me\" SUPERUSER LOGIN; END IF; END\$\$" >/dev/null
    echo "postgresql+psycopg:///$db?host=/var/run/postgresql"; return
  fi
  die "cannot connect to PostgreSQL: set FONCIER_DATABASE_URL (postgresql+psycopg://user:password@host:5432/db)"
}

provision() {
  local db="$1"
  ensure_postgres
  ensure_gdal
  ensure_chromium
  ensure_venv
  FONCIER_DATABASE_URL="$(database_url "$db")"
  export FONCIER_DATABASE_URL
  foncier db create >/dev/null
}
