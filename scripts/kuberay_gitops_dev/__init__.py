"""Development tools of kuberay-gitops: `make bench` and `make mutation`.

Why a package of its own: they measure and attack the tool, and a user of the wheel
needs neither; pyproject.toml ships only `kuberay_gitops`. They import the shipped
package, which never imports them (tests/unit/test_architecture.py).
"""
