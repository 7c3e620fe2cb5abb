#!/usr/bin/env bash
# Build a pinned Go main package into a repo-local bin directory, unless the binary there was
# built from exactly these sources: a stamp beside it records the digest of the sources it was
# built from (go.mod, go.sum and every .go file) and the binary's own sha256, and both must
# still match. Used for the control-plane twin (etcd, kube-apiserver from toolchain/, the
# KubeRay operator from the read-only ../shared/src tree); go.mod pins every version.
# The source tree is never written: -mod=readonly, output and caches outside it.
# usage: build-go-main.sh BIN_DIR NAME SOURCE_DIR [LDFLAGS]
set -euo pipefail
bin_dir=$1 name=$2 src=$3 ldflags=${4:-}
binary="$bin_dir/$name"
stamp="$binary.stamp"
if ! command -v go >/dev/null 2>&1; then
  echo "setup: Go is required to build $name (https://go.dev/dl/)" >&2
  exit 3
fi
if [ ! -f "$src/go.mod" ]; then
  echo "setup: $src/go.mod not found: cannot build $name (is ../shared beside the repository?)" >&2
  exit 3
fi
digest=$( (cd "$src" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 \
  | LC_ALL=C sort -z | xargs -0 sha256sum; echo "ldflags $ldflags"; go env GOVERSION) | sha256sum | cut -c1-64)
if [ -x "$binary" ] && [ -f "$stamp" ]; then
  read -r want_digest want_sha want_meta <"$stamp" || true
  # Size and mtime as recorded spare hashing 100+ MB on every set-up; any other binary is
  # hashed (and kuberay-gitops hashes it before each use).
  if [ "$want_digest" = "$digest" ] && { [ "$(stat -c %s.%Y "$binary")" = "${want_meta:-}" ] \
      || [ "$(sha256sum "$binary" | cut -c1-64)" = "$want_sha" ]; }; then
    exit 0
  fi
fi
mkdir -p "$bin_dir"
out="$(cd "$bin_dir" && pwd)/$name"
echo "setup: go build $name from $src (a few minutes the first time; cached afterwards)" >&2
rm -f "$stamp"
(cd "$src" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false -trimpath" go build -ldflags "$ldflags" -o "$out.tmp" .)
mv "$out.tmp" "$out"
echo "$digest $(sha256sum "$out" | cut -c1-64) $(stat -c %s.%Y "$out")" >"$stamp"
