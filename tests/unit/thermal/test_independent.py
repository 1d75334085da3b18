"""The detector on frames it was not tuned on: the hand-painted set (not the generator), radiometric
and as 8-bit video frames. Floors sit a little under the measured figures (README, bench)."""

from __future__ import annotations

from collections import Counter

import pytest

from simulators.thermal.handmade import KINDS, independent_set, to_8bit
from thermal.detector import detect, detect_image
from thermal.frames import decode_image, parse_meta
from tools.bench_thermal import match, prf

SET = independent_set(seed=515, per_kind=5)


def score(eight_bit: bool) -> tuple[dict[str, Counter[str]], int]:
    """tp/fp/fn per scene kind, and false people in decoy-only frames."""
    per: dict[str, Counter[str]] = {k: Counter() for k in KINDS}
    decoy_fp = 0
    for k, f in enumerate(SET):
        meta = parse_meta(f.meta)
        if eight_bit:
            dets = detect_image(decode_image(to_8bit(f.frame_c, ("white-hot", "black-hot")[k % 2])), meta)
        else:
            dets = detect(f.frame_c, meta)
        pairs = match([list(d.bbox) for d in dets], [list(b) for b in f.people])
        c = per[f.name.rsplit("-", 1)[0]]
        c["tp"] += len(pairs)
        c["fp"] += len(dets) - len(pairs)
        c["fn"] += len(f.people) - len(pairs)
        if not f.people:
            decoy_fp += len(dets)
    return per, decoy_fp


def total(per: dict[str, Counter[str]]) -> dict[str, float]:
    return prf(*(sum(c[k] for c in per.values()) for k in ("tp", "fp", "fn")))


def test_the_set_is_not_empty_and_has_decoy_only_frames() -> None:
    assert sum(len(f.people) for f in SET) > 40
    assert any(not f.people and f.decoys for f in SET)


def test_radiometric_on_the_independent_set() -> None:
    per, decoy_fp = score(eight_bit=False)
    overall = total(per)
    assert overall["precision"] >= 0.9 and overall["f1"] >= 0.75, (overall, per)
    assert decoy_fp <= 1
    # the cases the issue names: a large standing person on -20 °C, people face down and in sleeping bags
    for kind in ("cold-large", "sleeping-bag", "face-down"):
        assert prf(per[kind]["tp"], per[kind]["fp"], per[kind]["fn"])["recall"] >= 0.8, (kind, per[kind])


@pytest.mark.parametrize("kind", ["dusk", "standing-street"])
def test_relative_to_the_scene(kind: str) -> None:
    per, _ = score(eight_bit=False)
    assert prf(per[kind]["tp"], per[kind]["fp"], per[kind]["fn"])["recall"] >= 0.5, per[kind]


def test_8bit_on_the_independent_set() -> None:
    """Weak and said so in the README: the learned classifier has not seen lamps, vents or dogs
    up close, nor people lying under blankets; these floors only keep it from getting worse."""
    per, decoy_fp = score(eight_bit=True)
    overall = total(per)
    assert overall["precision"] >= 0.4 and overall["recall"] >= 0.4, (overall, per)
    assert prf(per["dusk"]["tp"], per["dusk"]["fp"], per["dusk"]["fn"])["recall"] >= 0.8
    assert decoy_fp <= 4 * sum(1 for f in SET if not f.people)
