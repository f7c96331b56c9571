#!/bin/sh
# Packs the built server (`npm run build` or `npx tsc -b` first) as one npm tarball that needs
# nothing from this repository: @parley/shared is bundled inside it. npm does not bundle a
# workspace package (it is a symlink at the root), so the package is staged with a real copy.
#
#   deploy/pack-server.sh <destination directory>    → prints the tarball's path
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mkdir -p "${1:?usage: pack-server.sh <destination directory>}" && cd "$1" && pwd)
[ -f "$root/apps/server/dist/main.js" ] && [ -f "$root/packages/shared/dist/index.js" ] || {
  echo "build the server first: npx tsc -b" >&2
  exit 1
}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$root/apps/server/package.json" "$root/README.md" "$root/LICENSE" "$stage/"
cp -R "$root/apps/server/dist" "$stage/dist"
shared="$stage/node_modules/@parley/shared"
mkdir -p "$shared"
cp "$root/packages/shared/package.json" "$shared/"
cp -R "$root/packages/shared/dist" "$shared/dist"
find "$stage" \( -name '*.map' -o -name '*.tsbuildinfo' \) -delete
(cd "$stage" && npm pack --silent --pack-destination "$dest") | sed "s|^|$dest/|"
