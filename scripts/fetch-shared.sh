#!/usr/bin/env bash
# Build the read-only upstream material (the `../shared` layout) from the upstream
# repositories at pinned tags, for machines that do not have it beside the repository
# (GitHub-hosted runners). Nothing fetched here is ever committed.
# usage: fetch-shared.sh DEST
set -euo pipefail
dest=$1
if [ -d "$dest/crds" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # repo tag dir
  git -c advice.detachedHead=false clone --quiet --depth 1 --branch "$2" "https://github.com/$1.git" "$work/$3"
}

fetch ray-project/kuberay v1.7.0 kuberay
fetch prometheus-operator/prometheus-operator v0.93.0 prometheus-operator
fetch argoproj/argo-cd v3.5.1 argo-cd
fetch volcano-sh/volcano v1.15.1 volcano
fetch kubernetes-sigs/kueue v0.19.2 kueue

out="$dest/crds"
mkdir -p "$out/kuberay/v1.7.0" "$out/prometheus-operator/v0.93.0" "$out/argo-cd/v3.5.1" \
  "$out/volcano/v1.15.1" "$out/kueue/v0.19.2"
cp "$work"/kuberay/ray-operator/config/crd/bases/ray.io_*.yaml "$out/kuberay/v1.7.0/"
cp -r "$work/kuberay/ray-operator/config" "$out/kuberay/v1.7.0/operator"
rm -rf "$out/kuberay/v1.7.0/operator/samples"
find "$out/kuberay/v1.7.0/operator" -type f ! -name '*.yaml' -delete
cp -r "$work/kuberay/config/prometheus" "$out/kuberay/v1.7.0/prometheus"
for crd in podmonitors prometheusrules servicemonitors; do
  cp "$work/prometheus-operator/example/prometheus-operator-crd/monitoring.coreos.com_$crd.yaml" \
    "$out/prometheus-operator/v0.93.0/"
done
cp "$work"/argo-cd/manifests/crds/{application,applicationset,appproject}-crd.yaml "$out/argo-cd/v3.5.1/"
cp "$work"/volcano/config/crd/volcano/bases/scheduling.volcano.sh_{podgroups,queues}.yaml "$out/volcano/v1.15.1/"
for crd in clusterqueues localqueues resourceflavors workloads; do
  cp "$work/kueue/config/components/crd/bases/kueue.x-k8s.io_$crd.yaml" "$out/kueue/v0.19.2/"
done
