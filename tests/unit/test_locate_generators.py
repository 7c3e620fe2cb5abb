"""A finding on an object a generator made is located at the generator entry that made it.

kustomize's origin annotation of a generated object names the kustomization and the
generator kind, no file; without this the finding landed at whatever kustomization ran the
first transformer over it (a component's replacements, say).
"""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

COMPONENT = """\
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
replacements:
  - source: {kind: ConfigMap, name: settings, fieldPath: data.level}
    targets:
      - select: {kind: ConfigMap, name: other}
        fieldPaths: [data.level]
"""
KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ns
components:
  - ../component
configMapGenerator:
  - name: settings
    literals: [level=info]
  - name: other
    literals: [level=debug]
secretGenerator:
  - name: db-credentials
    envs:
      - db.env
"""


def test_a_generated_secret_is_located_at_its_generator_entry(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "t/kustomization.yaml": KUSTOMIZATION,
        "t/db.env": "DB_USER=ray\n",
        "component/kustomization.yaml": COMPONENT,
    }
    result = run_check("secret-committed", files)
    assert [(r[0], r[2], r[3], r[4]) for r in result.rows()] == [
        ("secret-committed", ".data", "t/kustomization.yaml", 12)
    ]
