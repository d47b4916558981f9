#!/usr/bin/env bash
# One database per service, owned by the application role ($POSTGRES_USER).
# Run by the postgres image from /docker-entrypoint-initdb.d/ on the first start of an empty data volume.
set -euo pipefail

for db in registry diagnosis catalog funding evaluation; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
SELECT 'CREATE DATABASE ${db} OWNER "${POSTGRES_USER}"'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${db}')\gexec
SQL
done
