// kube-apiserver for the control-plane twin: upstream app.NewAPIServerCommand, nothing added.
// Built by `kuberay-gitops setup` at the k8s.io/kubernetes version pinned in go.mod, whose
// staging modules are pinned to the matching k8s.io/* releases by the replace directives.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	command := app.NewAPIServerCommand()
	os.Exit(cli.Run(command))
}
