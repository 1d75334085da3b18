"""Reading and writing the files people hand the commands: regular files only, UTF-16 by its byte-order mark, output
folders checked before any work.

Not TOML: the tokens file, a replay's JSON lines and report folders read and write through these too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from core.errors import ConfigError


def read_file(path: Path, what: str, error: type[ConfigError] = ConfigError) -> bytes:
    """The bytes of a regular file; anything else (a folder, a device such as /dev/zero, a pipe) is an `error` naming it.

    A setting or an option naming /dev/zero read without end (a MemoryError traceback), a FIFO waited forever.
    """
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise error(f"cannot read {what}: not a regular file (a folder, a device or a pipe)", path=str(path))
        return path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror or exc}", path=str(path)) from exc


def output_dir(path: Path, what: str, error: type[ConfigError] = ConfigError) -> Path:
    """A folder to write into, made now: a path that is a file (or under one) is an `error` naming it before any work.

    `patrol drill --report FILE` ran the whole night, then died making the folder with a traceback; its scores lost.
    """
    if path.exists() and not path.is_dir():
        raise error(f"the {what} is a file, not a folder", path=str(path))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error(f"cannot make the {what}: {exc.strerror or exc}", path=str(path)) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise error(f"cannot write into the {what}: permission denied", path=str(path))
    return path


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # little- and big-endian byte-order marks


def utf16_encoding(data: bytes) -> str | None:
    """The codec that reads `data` when it is UTF-16, else None (UTF-8 or anything else).

    "utf-16" when a byte-order mark says so (what Windows editors save as "Unicode", and PowerShell 5's `>` and
    `Out-File` write); "utf-16-le"/"utf-16-be" when its first bytes are ASCII text with no mark (a telemetry tool's
    export: every other byte NUL, which UTF-8 text never has). One rule for every reader: SRT files and replays.
    """
    if data.startswith(UTF16_BOMS):
        return "utf-16"
    head = data[:4096]
    if len(head) < 8:
        return None
    odd, even = head[1::2], head[0::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def as_utf8(data: bytes, what: str, path: Path, error: type[ConfigError] = ConfigError) -> bytes:
    """A file's bytes as UTF-8: as they are, or re-encoded from UTF-16 (`utf16_encoding`; lines keep their numbers);
    UTF-16 that does not decode names the line of the first bad unit."""
    encoding = utf16_encoding(data)
    if encoding is None:
        return data
    try:
        return data.decode(encoding).encode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].decode(encoding, errors="replace").count("\n") + 1
        how = "by its byte-order mark" if encoding == "utf-16" else "by its NUL high bytes"
        raise error(f"{what} is UTF-16 ({how}) but does not decode: {exc.reason}", path=str(path), line=line) from exc
