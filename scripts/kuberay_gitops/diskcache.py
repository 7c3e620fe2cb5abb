"""Entries under the cache directory: written atomically, read whole or not at all.

Why one home: several stages keep what one run learnt for the next (renders, the
twin's verdicts per environment, generated schemas, checkov's verdicts per target).
Two runs may write the same entry at once (CI jobs sharing a cache, the threads of one
run), so a reader must see the old file or the new one, never half of one; and an entry
that cannot be read (absent, truncated, another layout) is a miss that the stage
recomputes, never an error. Whether a cache may be read at all is the caller's question
(`rendercache.distrust`).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a file of this process and thread, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(text)
    tmp.replace(path)


def write_json(path: Path, data: Any) -> None:
    """`data` as compact JSON, atomically."""
    atomic_write(path, json.dumps(data, default=str, separators=(",", ":")))


def read_json(path: Path) -> Any | None:
    """The entry's JSON value, or None when it is absent or unreadable (a miss)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def verdict_path(cache_dir: Path, kind: str, key: str) -> Path:
    """Where a tool's verdict under `key` lives: `<cache>/<kind>/<key[:2]>/<key>.json`.

    Sharded by the key's first byte: a repository of a hundred environments keeps
    thousands of verdicts per tool.
    """
    return cache_dir / kind / key[:2] / f"{key}.json"


def digest(*parts: str | bytes) -> str:
    """A key over the parts, each delimited (no two part lists share a key)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(f"{len(data)}:".encode())
        h.update(data)
    return h.hexdigest()
