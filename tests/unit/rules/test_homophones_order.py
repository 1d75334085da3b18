"""The sound reader answers alike in every process: its cues were kept in frozensets, whose order follows the string
hashes Python seeds afresh per process, so where two heard words overlap (`Homophones.written`) which one was written
in place could differ between a live worker and its replay."""

import json
import os
import subprocess
import sys
from pathlib import Path

from rules.homophones import Homophones

ROOT = Path(__file__).resolve().parents[3]

_PROBE = """
import json, sys
from rules.homophones import Homophones
h = Homophones.of([("a", "流浪汉"), ("b", "流浪汗"), ("c", "浪汉子")])
texts = ["流浪焊子", "那个流浪焊子在这", "流狼汉子"]
print(json.dumps([[h.written(t), sorted((k, v) for k, v in h.spans(t).items()),
                   [(c.flag, s, e) for c, s, e in h._heard(t)]] for t in texts], ensure_ascii=False))
"""


def _run(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout


def test_overlapping_heard_words_come_out_alike_whatever_the_hash_seed() -> None:
    outs = {_run(seed) for seed in ("0", "1", "2", "3", "4", "5", "6", "7")}
    assert len(outs) == 1, outs
    first = json.loads(outs.pop())
    assert any(len({start for _, start, _ in heard}) < len(heard) for _, _, heard in first)  # two words at one place


def test_of_two_words_heard_at_one_place_the_one_listed_first_is_written() -> None:
    # 焊 sounds as 汉 and as 汗: 流浪焊 is heard as both listed words, and the first listed is written in place
    assert Homophones.of([("a", "流浪汉"), ("b", "流浪汗")]).written("流浪焊子") == "流浪汉子"
    assert Homophones.of([("b", "流浪汗"), ("a", "流浪汉")]).written("流浪焊子") == "流浪汗子"
    assert [c.text for c, _, _ in Homophones.of([("b", "流浪汗"), ("a", "流浪汉")])._heard("流浪焊子")] == ["流浪汗", "流浪汉"]
