#!/bin/sh
# Backs up a Parley server: the PostgreSQL database (pg_dump, custom format) and DATA_DIR (the
# attachment blobs under attachments/, the generated secrets). Run it with the server's own
# environment (DATABASE_URL, DATA_DIR). Safe while the server runs: pg_dump reads one consistent
# snapshot, and blobs are only ever added whole or deleted. A blob the dump does not name is
# harmless; a blob added after the dump began is simply not referenced after a restore.
# With ATTACHMENT_S3_BUCKET set the blobs are in the bucket: copy it with the store's own tools.
#
#   DATABASE_URL=postgres://… DATA_DIR=/var/lib/parley deploy/backup.sh /backups/parley-$(date +%F)
set -eu
dest=${1:?usage: backup.sh <new backup directory>}
: "${DATABASE_URL:?set DATABASE_URL (an embedded database: see docs/operations.md)}"
: "${DATA_DIR:?set DATA_DIR}"
mkdir -p "$dest"
# The database first: every blob it names was complete before its row said so.
pg_dump --format=custom --no-owner --file="$dest/database.dump" "$DATABASE_URL"
# DATA_DIR without the embedded cluster (its consistent copy is the dump) and unfinished uploads.
tar --create --file="$dest/data-dir.tar" --directory="$DATA_DIR" \
  --exclude=./postgres --exclude=./attachments/.partial .
echo "backed up to $dest"
