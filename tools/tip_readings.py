"""Every tip text the project holds, read, and two such readings compared: what a change to tip reading changes.

    PYTHONPATH=/path/to/old/checkout .venv/bin/python tools/tip_readings.py dump /tmp/before.json  # the code before
    PYTHONPATH=. .venv/bin/python tools/tip_readings.py dump /tmp/after.json                      # the code after
    PYTHONPATH=. .venv/bin/python tools/tip_readings.py diff /tmp/before.json /tmp/after.json [--bench]

(run as a file, so that PYTHONPATH decides whose `rules` and `data` read the texts; the texts are the same.)

The texts: every `text` in `data/scenarios` and `data/samples` (JSON lines that do not parse are skipped, as the
samples hold broken records on purpose), in the tip audits (`tests/unit/rules/tip_audit*.toml` but the newest,
which the change is written for, unless `--all-audits`) and the simulators' drafts (`simulators.reporters.TextMaker`
over every person with up to two of its cue flags, either language, with and without a place). Each is read as
intake reads a tip (one time, one position), and its flags, head count, sex, posture, age group and a minor's
company (alone, accompanied) are kept.
`diff` prints each changed reading and the counts; `--bench` also times the lexicon's reading of all texts.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import time
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from core.settings import DATA_DIR
from rules.context import load_context
from rules.intake import parse_tip

FIELDS = ("flags", "persons", "sex", "posture", "age_group", "company")
AUDIT_DIR = Path(__file__).resolve().parent.parent / "tests" / "unit" / "rules"


def _texts_in(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                found.add(item)
            else:
                _texts_in(item, found)
    elif isinstance(value, list):
        for item in value:
            _texts_in(item, found)


def _file_texts(path: Path, found: set[str]) -> None:
    if path.suffix == ".jsonl":
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                _texts_in(json.loads(line), found)
            except ValueError:
                continue  # a broken record the sample holds on purpose
    elif path.suffix == ".json":
        _texts_in(json.loads(path.read_text(encoding="utf-8")), found)
    elif path.suffix == ".toml":
        _texts_in(tomllib.loads(path.read_text(encoding="utf-8")), found)


def _drafts() -> set[str]:
    """The simulators' drafted tip texts for every person with up to two cue flags (seeded: the same every run)."""
    from simulators.people import Person
    from simulators.reporters import CUES, TextMaker

    maker, rng, found = TextMaker(), np.random.default_rng(7), set()
    flags = [*CUES, "elderly"]
    for size in (0, 1, 2):
        for combo, profile, lying, pid, english, place in itertools.product(
                itertools.combinations(flags, size), ("adult", "minor"), (False, True), ("p1", "p2", "p3"), (False, True),
                (None, "中央大街")):
            person = SimpleNamespace(flags=combo, person_id=pid, profile=profile, key_area=None, lying=lying)
            person.sex = Person.sex.fget(person)  # type: ignore[attr-defined]  # the simulator's own rule, by id
            for _ in range(3):
                found.add(maker._draft(person, english, rng, place))  # type: ignore[arg-type]
    return found


def texts(all_audits: bool = False) -> list[str]:
    found: set[str] = set()
    for folder in (DATA_DIR / "scenarios", DATA_DIR / "samples"):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                _file_texts(path, found)
    # Numbered as written by their trailing number (tip_audit9 before tip_audit10 before tip_audit_followups16), so the
    # newest is the last.
    audits = sorted(AUDIT_DIR.glob("tip_audit*.toml"), key=lambda p: int(re.sub(r"^\D*", "", p.stem) or 1))
    for path in audits if all_audits else audits[:-1]:
        _file_texts(path, found)
    found |= _drafts()
    return sorted(found)


def dump(out: Path, all_audits: bool) -> None:
    ctx = load_context(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", DATA_DIR / "cities" / "harbin")
    readings: dict[str, list[Any]] = {}
    for text in texts(all_audits):
        bounded = text.encode("utf-8")[: ctx.policy.max_text_bytes].decode("utf-8", errors="ignore")
        tip = parse_tip({"tip_id": "t", "channel": "hotline", "text": bounded, "reported_at": "2026-12-20T23:10:00+08:00",
                         "lat": 45.7735, "lon": 126.6165}, ctx)
        readings[text] = [list(tip.flags), tip.persons, tip.sex, tip.posture, tip.age_group, tip.company]
    out.write_text(json.dumps(readings, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"{len(readings)} texts read into {out}")


def diff(before: Path, after: Path, bench: bool) -> None:
    # A dump written before a field was read lacks it: read as None (not said).
    a, b = ({t: r + [None] * (len(FIELDS) - len(r)) for t, r in json.loads(p.read_text(encoding="utf-8")).items()} for p in (before, after))
    changed = dict.fromkeys(FIELDS, 0)
    rows = 0
    for text in sorted(a.keys() & b.keys()):
        if a[text] != b[text]:
            rows += 1
            parts = [f"{name}: {a[text][i]} -> {b[text][i]}" for i, name in enumerate(FIELDS) if a[text][i] != b[text][i]]
            for i, name in enumerate(FIELDS):
                changed[name] += a[text][i] != b[text][i]
            print(f"{text[:100]!r} | {'; '.join(parts)}")
    print(f"texts {len(a.keys() & b.keys())}, readings changed {rows}: " + ", ".join(f"{k} {v}" for k, v in changed.items()))
    if bench:
        ctx = load_context(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", DATA_DIR / "cities" / "harbin")
        sample = [t for t in a if len(t) < 2000]
        start = time.perf_counter()
        for text in sample:
            ctx.lexicon.flags_in(text)
            ctx.lexicon.description_in(text)
            ctx.lexicon.persons_in(text)
        print(f"reading {len(sample)} texts: {(time.perf_counter() - start) * 1e6 / len(sample):.0f} us a text")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--all-audits", action="store_true")
    c = sub.add_parser("diff")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--bench", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "dump":
        dump(args.out, args.all_audits)
    else:
        diff(args.before, args.after, args.bench)
    return 0


if __name__ == "__main__":
    sys.exit(main())
