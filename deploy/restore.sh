#!/bin/sh
# Restores a backup made by backup.sh into an EMPTY database and an empty DATA_DIR, with the
# server stopped. Then start the server: it runs any migrations a newer release brings.
#
#   DATABASE_URL=postgres://… DATA_DIR=/var/lib/parley deploy/restore.sh /backups/parley-2026-01-31
set -eu
src=${1:?usage: restore.sh <backup directory>}
: "${DATABASE_URL:?set DATABASE_URL}"
: "${DATA_DIR:?set DATA_DIR}"
pg_restore --no-owner --exit-on-error --single-transaction --dbname="$DATABASE_URL" "$src/database.dump"
mkdir -p "$DATA_DIR"
chmod 700 "$DATA_DIR"
tar --extract --file="$src/data-dir.tar" --directory="$DATA_DIR"
echo "restored from $src"
