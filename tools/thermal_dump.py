"""Every detection of the thermal bench's frames, to check that a speed change changes none of them.

    PYTHONPATH=/work/main python tools/thermal_dump.py dump /tmp/before.json --real DIR
    PYTHONPATH=.          python tools/thermal_dump.py dump /tmp/after.json --real DIR
    python tools/thermal_dump.py compare /tmp/before.json /tmp/after.json

`dump` runs `detect_image` on the frames `patrol bench thermal --frames N --seed S` scores (the
generator's mixed, decoy-heavy, 40 m and hand-painted sets, the field and stress styles, the 8-bit
conversions of the mixed and hand-painted sets) and, with --real, on a folder of real frames, and
writes every detection's fields (box, score, posture, temperatures, place) frame by frame.
`compare` prints the frames whose detections differ in any field and exits 1 if there are any.
Run it as a file (not with -m) so that PYTHONPATH alone picks the detector under test.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import cv2

from simulators.thermal.generator import DECOYS
from thermal.detector import detect_image
from tools.bench_thermal import FIELD_STYLES, STRESS_STYLES, Frame, _frames, _independent, as_8bit, style_frames
from tools.real_frames import iter_real


def bench_sets(n: int, seed: int) -> Iterator[tuple[str, list[Frame]]]:
    """The bench's frame sets by name, built as run_thermal_bench builds them."""
    mixed = _frames(n, seed)
    hand = _independent(seed + 3, max(3, n // 40))
    yield "mixed", mixed
    yield "decoy-heavy", _frames(max(20, n // 4), seed + 1, n_people=1, decoys=[*DECOYS, "engine", "vent"])
    yield "40m", _frames(max(20, n // 4), seed + 2, kind="drone", alt_m=40.0, n_people=3)
    yield "hand", hand
    yield "8-bit mixed", as_8bit(mixed)
    yield "8-bit hand", as_8bit(hand)
    for base, styles in ((seed + 10, FIELD_STYLES), (seed + 20, STRESS_STYLES)):
        for k, (name, kw) in enumerate(styles.items()):
            yield f"style {name}", _frames(style_frames(n), base + k, **kw)


def _row(d: Any) -> dict[str, Any]:
    row = asdict(d)
    row["captured_at"] = d.captured_at.isoformat()
    return row


def dump(n: int, seed: int, real: Path | None) -> dict[str, list[list[dict[str, Any]]]]:
    """Detections per frame (lists of field dicts), per set."""
    cv2.setNumThreads(1)
    out = {name: [[_row(d) for d in detect_image(img, meta)] for img, meta, _ in frames]
           for name, frames in bench_sets(n, seed)}
    if real is not None:
        out["real"] = [[_row(d) for d in detect_image(fr.image, fr.meta, fr.name)] for fr in iter_real(real)]
    return out


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """One line per set missing on one side and per frame whose detections differ."""
    diffs = [f"{name}: only in one dump" for name in sorted(set(a) ^ set(b))]
    for name in sorted(set(a) & set(b)):
        if len(a[name]) != len(b[name]):
            diffs.append(f"{name}: {len(a[name])} frames against {len(b[name])}")
            continue
        diffs.extend(f"{name} frame {i}: {x} != {y}" for i, (x, y) in enumerate(zip(a[name], b[name], strict=True))
                     if x != y)
    return diffs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="tools/thermal_dump.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--frames", type=int, default=100)
    d.add_argument("--seed", type=int, default=11)
    d.add_argument("--real", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "dump":
        found = dump(args.frames, args.seed, args.real)
        args.out.write_text(json.dumps(found), encoding="utf-8")
        print(f"{args.out}: " + ", ".join(f"{k} {len(v)} frames {sum(map(len, v))} detections"
                                          for k, v in found.items()))
        return 0
    diffs = compare(json.loads(args.a.read_text(encoding="utf-8")), json.loads(args.b.read_text(encoding="utf-8")))
    print("\n".join(diffs[:50]) or "identical")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
