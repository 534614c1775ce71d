# Foncier API + CLI image. Used by docker-compose.yml; see there for the database.
#   docker build -t foncier .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# gdal-bin: ogr2ogr/ogrinfo (GDAL 3.6 on bookworm) for the imports; postgresql-client: psql, pg_isready.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gdal-bin postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The whole build context (see .dockerignore): app/, migrations/, data/, pyproject.toml, ...
COPY . /app

RUN pip install .

# `pip install .` puts the package in site-packages, where app.PROJECT_ROOT would not contain data/ or
# migrations/. Import the package from /app instead (same code, same commit) so that PROJECT_ROOT is /app,
# and state the data directory explicitly.
ENV PYTHONPATH=/app \
    FONCIER_DATA_DIR=/app/data

# Run as an unprivileged user; the code and data stay owned by root (read-only for the service).
RUN useradd --system --create-home --home-dir /home/foncier foncier
USER foncier

EXPOSE 8000

CMD ["foncier", "serve", "--host", "0.0.0.0", "--port", "8000"]
