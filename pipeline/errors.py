"""Exceptions that carry the process exit code the CLI returns.

Exit codes (also in the README and ``inventory-activity --help``):

====  =====================================================================
0     success
1     failure (a stage raised; see the log and ``inventory-activity status``)
2     bad usage or configuration (bad argument, unknown config key, ...)
3     quality gate failed: a blocking expectation failed, nothing published
4     input not ready: a required raw partition is missing; retry later
5     busy: another run holds the lock for this environment; retry later
====  =====================================================================
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    SUCCESS = 0
    FAILURE = 1
    USAGE = 2
    QUALITY_FAILED = 3
    INPUT_NOT_READY = 4
    BUSY = 5


class PipelineError(Exception):
    """Base class: an expected failure with a clear one-line message (no stack trace)."""

    exit_code = ExitCode.FAILURE


class ConfigError(PipelineError):
    exit_code = ExitCode.USAGE


class UsageError(PipelineError):
    exit_code = ExitCode.USAGE


class InputNotReady(PipelineError):
    exit_code = ExitCode.INPUT_NOT_READY


class ContractError(PipelineError):
    """A raw delivery cannot be read as its contract says (unreadable file, wrong type)."""

    exit_code = ExitCode.FAILURE


class QualityGateFailed(PipelineError):
    exit_code = ExitCode.QUALITY_FAILED


class LockBusy(PipelineError):
    exit_code = ExitCode.BUSY
