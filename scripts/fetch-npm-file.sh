#!/usr/bin/env bash
# Fetch one file out of a pinned npm package into DEST, verified by its sha256; skip when
# DEST already has that content.  usage: fetch-npm-file.sh PACKAGE@VERSION FILE SHA256 DEST
set -euo pipefail
pkg=$1 file=$2 sha=$3 dest=$4
if [ -f "$dest" ] && echo "$sha  $dest" | sha256sum --check --status; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm is required to fetch $pkg (Node.js from https://nodejs.org/)" >&2
  exit 3
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "setup: npm pack $pkg" >&2
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz "$file")
echo "$sha  $tmp/$file" | sha256sum --check --status || { echo "setup: $pkg: $file checksum mismatch" >&2; exit 3; }
mkdir -p "$(dirname "$dest")"
mv "$tmp/$file" "$dest"
