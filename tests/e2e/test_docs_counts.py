"""The object counts docs/architecture.md states per render target are what renders."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from tests.conftest import REPO_ROOT, TOOLS_DIR, CliResult, require_setup, shared_dir

Run = Callable[..., CliResult]
ROW = re.compile(r"^\| `(?P<target>[^`]+)` \| (?P<n>\d+)(?: \((?P<env>\w+) (?P<m>\d+)\))? \|", re.M)


def _stated() -> dict[str, int]:
    """Target → count from the table; `<env>` rows and `(prod N)` exceptions expanded."""
    text = (REPO_ROOT / "docs/architecture.md").read_text()
    out: dict[str, int] = {}
    for m in ROW.finditer(text):
        envs = ("dev", "staging", "prod") if "<env>" in m["target"] else ("",)
        for env in envs:
            target = m["target"].replace("<env>", env) if env else m["target"]
            out[target] = int(m["m"]) if m["env"] and m["env"] == env else int(m["n"])
    return out


def test_the_stated_object_counts_are_rendered(run_cli: Run) -> None:
    require_setup()
    env = {
        "KUBERAY_GITOPS_SHARED_DIR": str(shared_dir()),
        "KUBERAY_GITOPS_TOOLS_DIR": str(TOOLS_DIR),
    }
    result = run_cli(
        "--repo", str(REPO_ROOT), "validate", "--no-cluster", "--skip-checkov", "--skip-checks",
        "--format", "json", env=env,
    )  # fmt: skip
    rendered = {t["path"]: t["objects"] for t in json.loads(result.stdout)["targets"]}
    stated = _stated()
    assert len(stated) >= 12, stated
    assert {t: rendered.get(t) for t in stated} == stated
