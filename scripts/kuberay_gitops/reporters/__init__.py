"""Reporters: pure `Report -> str` functions. They never filter and never decide the exit code."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from kuberay_gitops.findings import Report
from kuberay_gitops.reporters import github, json_, sarif, text

Reporter = Callable[[Report], str]

REPORTERS: Mapping[str, Reporter] = MappingProxyType(
    {"text": text.render, "github": github.render, "json": json_.render, "sarif": sarif.render}
)
