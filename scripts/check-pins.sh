#!/usr/bin/env bash
# toolchain.env is where versions are pinned; the Go wrapper modules in toolchain/ must say
# the same, and the operator source must be the pinned release. Refuse to build otherwise.
# usage: check-pins.sh TOOLCHAIN_ENV TOOLCHAIN_DIR OPERATOR_SOURCE
set -euo pipefail
env_file=$1 dir=$2 operator=$3
# shellcheck disable=SC1090
source "$env_file"
fail() { echo "setup: $1" >&2; exit 3; }
requires() { # MODULE VERSION GO_MOD: a direct requirement, in a require block or on its own line
  grep -qP "^(require )?\s*\Q$1 $2\E\s*\$" "$3" || fail "$3 does not require $1 $2 (toolchain.env)"
}
requires go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$dir/etcd/go.mod"
requires k8s.io/kubernetes "$KUBE_APISERVER_VERSION" "$dir/kube-apiserver/go.mod"
staging="v0.${KUBE_APISERVER_VERSION#v1.}"
if grep -P '^\tk8s\.io/[a-z0-9-]+ => ' "$dir/kube-apiserver/go.mod" | grep -v -q " $staging\$"; then
  fail "$dir/kube-apiserver/go.mod: every staging replace must be $staging"
fi
[ -f "$operator/go.mod" ] || fail "$operator not found: the KubeRay operator source comes from the shared directory (SHARED_DIR=$(dirname "$operator"))"
grep -q "KUBERAY_VERSION = \"$KUBERAY_OPERATOR_VERSION\"" "$operator/controllers/ray/utils/constant.go" \
  || fail "$operator is not KubeRay $KUBERAY_OPERATOR_VERSION (toolchain.env)"
