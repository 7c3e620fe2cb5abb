#!/usr/bin/env bash
# Install a pinned Go tool into a repo-local bin directory, unless that exact version is
# already there (checked from the module version recorded in the binary).
# usage: install-go-tool.sh BIN_DIR NAME MODULE VERSION
set -euo pipefail
bin_dir=$1 name=$2 module=$3 version=$4
binary="$bin_dir/$name"
if ! command -v go >/dev/null 2>&1; then
  echo "setup: Go is required to build $name $version (https://go.dev/dl/)" >&2
  exit 3
fi
if [ -x "$binary" ]; then
  info=$(go version -m "$binary" 2>/dev/null || true)
  if grep -q -P "^\tpath\t\Q$module\E$" <<<"$info" && grep -q -P "^\tmod\t[^\t]+\t\Q$version\E(\t|$)" <<<"$info"; then
    exit 0
  fi
fi
mkdir -p "$bin_dir"
echo "setup: go install $module@$version" >&2
GOBIN="$(cd "$bin_dir" && pwd)" GOFLAGS=-mod=mod go install "$module@$version"
