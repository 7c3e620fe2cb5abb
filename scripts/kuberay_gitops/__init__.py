"""kuberay-gitops: prove that every change to this GitOps repository is safe to sync."""

__version__ = "0.1.0"
