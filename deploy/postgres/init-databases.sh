#!/bin/sh
# One database per service, each owned by its own role. Runs once, when the volume is new.
set -eu
for service in ${KOERS_SERVICE_DATABASES}; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE ${service} LOGIN PASSWORD '${POSTGRES_PASSWORD}';
CREATE DATABASE ${service} OWNER ${service};
SQL
done
