"""Typed reading of TOML configuration that names file, line and key on error.

Policy and drill scenarios are files people edit by hand; a mistake must be
reported where it is, not as a stack trace halfway through a night.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import time
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.files import read_file
from core.validate import is_finite_number


def read_text(path: Path, what: str, error: type[ConfigError] = ConfigError) -> str:
    """A hand-edited file's text: UTF-8 (a byte-order mark is tolerated); an unreadable or undecodable file names its line."""
    data = read_file(path, what, error)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + len(data) - len(exc.object)  # exc.start counts from after a byte-order mark: the line was one short
        line = data[:start].count(b"\n") + 1
        raise error(f"{what} is not UTF-8: {exc.reason} at byte {start}", path=str(path), line=line) from exc


def parse_toml(text: str, source: str, error: type[ConfigError] = ConfigError) -> dict[str, Any]:
    """Parse TOML; a syntax error names the file and line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else len(text.splitlines()) or 1  # tomllib names no line "at end of document"
        raise error(f"not valid TOML: {exc}", path=source, line=line) from exc


class TomlReader:
    """Typed access into the parsed TOML that names file, line and key path on error."""

    def __init__(self, path: str, text: str, error: type[ConfigError] = ConfigError) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.error = error
        self.asked: set[tuple[str | int, ...]] = set()  # every key path read, found or defaulted (`unread`)

    def fail(self, keypath: Sequence[str | int], reason: str) -> ConfigError:
        dotted = ".".join(f"[{k}]" if isinstance(k, int) else k for k in keypath).replace(".[", "[")
        return self.error(f"{dotted}: {reason}", path=self.path, line=self.line_of(keypath))

    def line_of(self, keypath: Sequence[str | int]) -> int | None:
        """Best-effort line of a key: the deepest table header on the path, then the key."""
        start = 0
        parts = [p for p in keypath]
        for depth in range(len(parts), 0, -1):
            head = parts[:depth]
            if any(isinstance(p, int) for p in head):
                continue
            name = ".".join(str(p) for p in head)
            header = re.compile(rf"^\s*\[\[?\s*{re.escape(name)}\s*\]\]?")
            hits = [i for i, line in enumerate(self.lines) if header.match(line)]
            if hits:
                nxt = parts[depth] if depth < len(parts) else None
                index = nxt if isinstance(nxt, int) and nxt < len(hits) else 0
                start = hits[index]
                parts = parts[depth + (1 if isinstance(nxt, int) else 0) :]
                break
        for key in parts:
            if isinstance(key, int):
                continue
            pattern = re.compile(rf"(^|[\s{{,]){re.escape(str(key))}\s*=")
            for i in range(start, len(self.lines)):
                if pattern.search(self.lines[i]):
                    start = i
                    break
        return start + 1 if self.lines else None

    def get(self, data: Mapping[str, Any], keypath: Sequence[str | int], kind: type | tuple[type, ...], default: Any = ...) -> Any:
        self.asked.add(tuple(keypath))
        node: Any = data
        for key in keypath:
            if isinstance(key, int):
                node = node[key]
            elif isinstance(node, Mapping) and key in node:
                node = node[key]
            elif default is not ...:
                return default
            else:
                raise self.fail(keypath, "missing")
        if kind is float and isinstance(node, int) and not isinstance(node, bool):
            node = float(node)
        if isinstance(node, bool) and kind is not bool:
            raise self.fail(keypath, f"expected {getattr(kind, '__name__', kind)}, got a boolean")
        if not isinstance(node, kind):
            raise self.fail(keypath, f"expected {getattr(kind, '__name__', kind)}, got {type(node).__name__}")
        if kind is float and not is_finite_number(node):  # TOML writes nan and inf: a threshold nothing ever meets (or always)
            raise self.fail(keypath, f"expected a finite number, got {node!r}")
        return node

    def number(self, data: Mapping[str, Any], keypath: Sequence[str | int], *, minimum: float = 0.0, maximum: float | None = None, default: Any = ...) -> float:
        value = float(self.get(data, keypath, float, default))
        if not is_finite_number(value):
            raise self.fail(keypath, f"expected a finite number, got {value!r}")
        if value < minimum:
            raise self.fail(keypath, f"must be at least {minimum:g}, got {value:g}")
        if maximum is not None and value > maximum:
            raise self.fail(keypath, f"must be at most {maximum:g}, got {value:g}")
        return value

    def share(self, data: Mapping[str, Any], keypath: Sequence[str | int], default: Any = ...) -> float:
        return self.number(data, keypath, minimum=0.0, maximum=1.0, default=default)

    def whole_number(self, data: Mapping[str, Any], keypath: Sequence[str | int], *, minimum: float = 0.0,
                     maximum: float | None = None, default: Any = ...) -> int:
        """A whole number (1 or 1.0), bounded like `number`: 2.5 levels or teams is a mistake, not 2."""
        value = self.number(data, keypath, minimum=minimum, maximum=maximum, default=default)
        if not value.is_integer():
            raise self.fail(keypath, f"must be a whole number, got {value:g}")
        return int(value)

    def count(self, data: Mapping[str, Any], keypath: Sequence[str | int], default: Any = ..., *, maximum: int | None = None) -> int:
        value = self.get(data, keypath, int, default)
        if value < 0:
            raise self.fail(keypath, f"must not be negative, got {value}")
        if maximum is not None and value > maximum:
            raise self.fail(keypath, f"must be at most {maximum}, got {value}")
        return int(value)

    def span(self, data: Mapping[str, Any], keypath: Sequence[str | int], default: Any = ..., *, maximum: float | None = None) -> tuple[float, float]:
        value = self.get(data, keypath, list, default)
        if len(value) != 2 or not all(is_finite_number(v) for v in value):
            raise self.fail(keypath, f"expected [low, high] numbers, got {value!r}")
        lo, hi = float(value[0]), float(value[1])
        if lo < 0 or hi < lo:
            raise self.fail(keypath, f"expected 0 <= low <= high, got [{lo:g}, {hi:g}]")
        if maximum is not None and hi > maximum:
            raise self.fail(keypath, f"must be at most {maximum:g}, got {hi:g}")
        return (lo, hi)

    def strings(self, data: Mapping[str, Any], keypath: Sequence[str | int], default: Any = ...) -> tuple[str, ...]:
        value = self.get(data, keypath, list, default)
        if not all(isinstance(v, str) and v for v in value):
            raise self.fail(keypath, "expected a list of non-empty strings")
        return tuple(value)

    def clock(self, data: Mapping[str, Any], keypath: Sequence[str | int]) -> time:
        value = self.get(data, keypath, str)
        try:
            hh, mm = value.split(":")
            return time(int(hh), int(mm))
        except ValueError:
            raise self.fail(keypath, f"expected HH:MM, got {value!r}") from None

    def unread(self, data: Mapping[str, Any]) -> list[tuple[str | int, ...]]:
        """Key paths in `data` that no read asked for, in file order: misspelt or unknown keys, which would otherwise
        leave their default in force without a word. A table read whole (nothing under it asked for by name) counts
        as read, everything in it included; one whose keys were read one by one is checked key by key."""
        under = {path[:i] for path in self.asked for i in range(1, len(path))}
        found: list[tuple[str | int, ...]] = []

        def walk(node: Any, path: tuple[str | int, ...]) -> None:
            items = node.items() if isinstance(node, Mapping) else enumerate(node) if isinstance(node, list) else ()
            for key, child in items:
                here = (*path, key)
                if here in under:
                    walk(child, here)
                elif here not in self.asked and isinstance(key, str):
                    found.append(here)

        walk(data, ())
        return found

    def unknown_keys(self, data: Mapping[str, Any], keypath: Sequence[str | int], allowed: Sequence[str]) -> None:
        """Reject misspelt keys: an organizer's typo must not be silently ignored."""
        node: Any = data
        for key in keypath:
            node = node[key]
        if not isinstance(node, Mapping):
            raise self.fail(keypath, f"expected a table, got {type(node).__name__}")
        for key in node:
            if key not in allowed:
                raise self.fail([*keypath, key], f"unknown key (expected one of: {', '.join(allowed)})")

    def names(self, data: Mapping[str, Any], keypath: Sequence[str | int], allowed: Sequence[str], default: Any = ...) -> tuple[str, ...]:
        """A list whose every value is one of `allowed`."""
        values = self.get(data, keypath, list, default)
        for v in values:
            if v not in allowed:
                raise self.fail(keypath, f"unknown value {v!r} (allowed: {', '.join(allowed)})")
        return tuple(values)

    def choice(self, data: Mapping[str, Any], keypath: Sequence[str | int], allowed: Sequence[str], default: Any = ...) -> str:
        value = self.get(data, keypath, str, default)
        if value not in allowed:
            raise self.fail(keypath, f"unknown value {value!r} (allowed: {', '.join(allowed)})")
        return str(value)
