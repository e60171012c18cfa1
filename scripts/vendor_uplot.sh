#!/usr/bin/env bash
# Fetch uPlot (the dashboard's chart library, MIT) from the npm registry into api/static/vendor/uplot.
# The files are committed: the dashboard loads nothing from elsewhere and works offline. Run this
# only to change the pinned version (then commit the folder); npm checks the package's integrity.
set -euo pipefail
VERSION=1.6.32
cd "$(dirname "$0")/.."
dest=api/static/vendor/uplot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "uplot@$VERSION" --silent >/dev/null && tar xzf "uplot-$VERSION.tgz")
mkdir -p "$dest"
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" "$tmp/package/LICENSE" "$dest/"
{
  echo "uplot $VERSION from the npm registry (npm pack uplot@$VERSION), MIT licence: LICENSE"
  (cd "$dest" && sha256sum uPlot.iife.min.js uPlot.min.css)
} >"$dest/VERSION"
echo "uPlot $VERSION in $dest"
