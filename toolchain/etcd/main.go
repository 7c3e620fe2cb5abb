// etcd for the control-plane twin: upstream etcdmain, nothing added. Built by
// `kuberay-gitops setup` (provision.py) at the version pinned in go.mod (see toolchain.env).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
