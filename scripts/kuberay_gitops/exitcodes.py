"""Exit codes and the errors that end a run with exit 3.

Findings (exit 1) are data and never raised; a ToolError means the run itself could not
be trusted (a missing tool, a bad config, nothing to check) and is reported as one line.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, documented in the README and in `--help`."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    TOOL_ERROR = 3


class ToolError(Exception):
    """The run cannot produce a trustworthy verdict; printed as one line, exit 3."""


class ToolNotFound(ToolError):
    """A pinned external tool is missing or has the wrong version."""


class ToolFailed(ToolError):
    """An external tool crashed, timed out or produced output we cannot read."""


class ConfigError(ToolError):
    """The configuration file, an environment variable or an option is invalid."""


class NothingToCheck(ToolError):
    """Discovery found nothing: a pass here would be a silent pass."""
