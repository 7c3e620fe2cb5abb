"""`python -m kuberay_gitops`."""

from kuberay_gitops.cli import main

main()
