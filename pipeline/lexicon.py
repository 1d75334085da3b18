"""Flags from free text: a bilingual cue lexicon kept as data.

Call-takers do not always tick the form; the words of the tip then decide.
Chinese cues match anywhere in the text, English cues match whole words (a
trailing `*` matches any ending). A negation right before a cue ("not
injured", "没有受伤") cancels it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.records import FLAGS
from pipeline.tomlconfig import parse_toml

_CJK = re.compile(r"[\u3400-\u9fff]")


def normalize_text(text: str) -> str:
    """Fold width and case so full-width and ASCII spellings match alike."""
    return unicodedata.normalize("NFKC", text).lower()


def _cue_pattern(cue: str) -> str:
    cue = normalize_text(cue.strip())
    if _CJK.search(cue):
        return re.escape(cue)
    wildcard = cue.endswith("*")
    body = re.escape(cue.rstrip("*")).replace(r"\ ", r"\s+")
    return rf"(?<![a-z0-9]){body}{'[a-z]*' if wildcard else ''}(?![a-z0-9])"


@dataclass(frozen=True)
class Lexicon:
    patterns: dict[str, re.Pattern[str]]
    negation: re.Pattern[str]

    def flags_in(self, text: str) -> tuple[str, ...]:
        """The flags whose cues occur in `text`, unnegated, in canonical order."""
        if not text:
            return ()
        norm = normalize_text(text)
        found: list[str] = []
        for flag in FLAGS:
            pattern = self.patterns.get(flag)
            if pattern is None:
                continue
            for match in pattern.finditer(norm):
                if not self.negation.search(norm[max(0, match.start() - 12) : match.start()]):
                    found.append(flag)
                    break
        return tuple(found)


def load_lexicon(path: Path | str) -> Lexicon:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read lexicon: {exc.strerror}", path=str(path)) from exc
    return parse_lexicon(parse_toml(text, str(path)), str(path), text)


def parse_lexicon(data: dict[str, object], source: str = "<lexicon>", text: str = "") -> Lexicon:
    def fail(key: str, reason: str) -> ConfigError:
        line = next((i + 1 for i, ln in enumerate(text.splitlines()) if ln.strip().startswith(f"{key} ")), None)
        return ConfigError(f"{key}: {reason}", path=source, line=line)

    flags = data.get("flags")
    if not isinstance(flags, dict):
        raise fail("flags", "missing [flags] table")
    patterns: dict[str, re.Pattern[str]] = {}
    for flag, cues in flags.items():
        if flag not in FLAGS:
            raise fail(flag, f"unknown flag {flag!r}")
        if not isinstance(cues, list) or not all(isinstance(c, str) and c.strip() for c in cues):
            raise fail(flag, "expected a list of non-empty strings")
        patterns[flag] = re.compile("|".join(_cue_pattern(c) for c in cues))
    negations = data.get("negations", {})
    if not isinstance(negations, dict):
        raise fail("negations", "expected a table")
    zh = [n for n in negations.get("zh", []) if isinstance(n, str)]
    en = [n for n in negations.get("en", []) if isinstance(n, str)]
    parts = [rf"(?:{'|'.join(re.escape(n) for n in zh)})$"] if zh else []
    if en:
        parts.append(rf"(?<![a-z])(?:{'|'.join(re.escape(n) for n in en)})\s+(?:[a-z']+\s+)?$")
    negation = re.compile("|".join(parts) or r"(?!x)x")
    return Lexicon(patterns=patterns, negation=negation)
