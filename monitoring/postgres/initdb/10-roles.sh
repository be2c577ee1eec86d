#!/bin/sh
# Runs once, when the postgres container initialises an empty data volume (docker-entrypoint-initdb.d).
# Creates the roles the local stack also has (src/stack/postgres.ts): `samokoder`, which owns the
# application database and is not a superuser, and `samokoder_exporter` with only pg_monitor, for
# postgres-exporter. Both use POSTGRES_PASSWORD (the entrypoint reads it from POSTGRES_PASSWORD_FILE),
# quoted by psql (:'pw'), so any character is safe.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --set=pw="$POSTGRES_PASSWORD" <<'SQL'
CREATE ROLE samokoder LOGIN PASSWORD :'pw';
CREATE ROLE samokoder_exporter LOGIN PASSWORD :'pw';
GRANT pg_monitor TO samokoder_exporter;
CREATE DATABASE samokoder OWNER samokoder;
SQL
