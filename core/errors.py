"""One base exception for the product, subclassed per domain.

Callers catch what they mean: a CLI catches `PatrolError` to print a clear
message and exit non-zero; an agent catches `RecordError` to dead-letter one
record and keep going.
"""

from __future__ import annotations


class PatrolError(Exception):
    """Base of every error the product raises on purpose."""


class ConfigError(PatrolError):
    """A settings value, policy file or data file is invalid.

    The message names the file, the line (or key path) and the reason.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")
        self.path = path
        self.line = line
        self.reason = message


class PolicyError(ConfigError):
    """The policy file is malformed or inconsistent."""


class CityDataError(ConfigError):
    """A city layer (GeoJSON) is malformed or inconsistent."""


class RecordError(PatrolError):
    """One input record is invalid; it goes to dead-letters with this reason."""

    def __init__(self, reason: str, *, kind: str = "invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


class FrameError(RecordError):
    """A thermal frame is corrupt or implausible (size, depth, range, pose)."""


class BrokerError(PatrolError):
    """The broker could not be started, reached or stopped."""
