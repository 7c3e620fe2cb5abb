"""Run checkov's Kubernetes runner once per directory inside one Python process.

Started by `tools/checkov.py` as `python -m kuberay_gitops.tools.checkov_driver`: checkov
is imported once (~1.5 s), and each render target gets its own Runner, hence its own
resource graph. One graph over every target grows much faster than the number of targets
(make bench: 3.5 s at 10 environments, over 480 s at 100) and lets a NetworkPolicy of one
environment satisfy a graph check for pods of another cluster.
Prints one JSON object: `failed`, the failed checks ({dir, file, check_id, check_name,
evaluated_keys, guideline}), and `parsed`, the files checkov read per directory (it skips
some silently, e.g. below a hidden directory; the adapter refuses a partial scan).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def main() -> None:
    """Scan each directory given on the command line; JSON on stdout."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-check", default="")
    parser.add_argument("dirs", nargs="*", help="else a JSON list of directories on stdin")
    args = parser.parse_args()
    os.environ.setdefault("BC_SKIP_MAPPING", "TRUE")
    from checkov.kubernetes.runner import Runner  # noqa: PLC0415 - heavy import, once
    from checkov.runner_filter import RunnerFilter  # noqa: PLC0415

    # Started before the objects are written (the import overlaps that); they come on stdin.
    dirs = args.dirs or [str(d) for d in json.load(sys.stdin)]
    skips = [s for s in args.skip_check.split(",") if s]
    out: list[dict[str, Any]] = []
    parsed: dict[str, int] = {}
    for directory in dirs:
        runner_filter = RunnerFilter(
            framework=["kubernetes"],
            skip_checks=skips,
            download_external_modules=False,
            show_progress_bar=False,
        )
        runner = Runner()
        reports = runner.run(root_folder=directory, runner_filter=runner_filter)
        parsed[directory] = len(runner.definitions or {})
        for report in reports if isinstance(reports, list) else [reports]:
            for record in report.failed_checks:
                keys = (record.check_result or {}).get("evaluated_keys") or []
                out.append(
                    {
                        "dir": directory,
                        "file": os.path.basename(str(record.file_path)),
                        "check_id": record.check_id,
                        "check_name": record.check_name,
                        "evaluated_keys": [str(k) for k in keys],
                        "guideline": record.guideline or "",
                    }
                )
    json.dump({"failed": out, "parsed": parsed}, sys.stdout)


if __name__ == "__main__":
    main()
