"""Text folding: traditional Chinese in every regional habit meets the simplified cue."""

from __future__ import annotations

import pytest

from core.textfold import fold, strip_marks, to_simplified


@pytest.mark.parametrize(
    ("written", "simplified"),
    [
        ("哈爾濱站", "哈尔滨站"),
        ("沒反應", "没反应"),
        ("髖部骨折，顱骨受傷", "髋部骨折，颅骨受伤"),  # beyond the common characters of street tips
        ("衞生間裏", "卫生间里"),  # Hong Kong's variant characters
        ("公園裡睡著了", "公园里睡著了"),  # Taiwan's 裡; 著 is also a simplified character
        ("顯著", "显著"),
        ("乾淨的衣服", "干净的衣服"),
    ],
)
def test_traditional_text_reads_as_simplified(written: str, simplified: str) -> None:
    assert to_simplified(written) == simplified
    assert fold(written) == fold(simplified)


def test_fold_is_width_case_and_quote_blind_and_idempotent() -> None:
    assert fold("ＣＯＬＤ Don’t １２３") == "cold don't 123"
    for text in ("哈爾濱站 Zhōngyāng", "老人躺在地上 not moving", "衞生間", "什么", "显著"):
        assert fold(fold(text)) == fold(text)


def test_simplified_and_latin_text_pass_through() -> None:
    text = "老人躺在中央大街，没反应 / old man lying on Central Street"
    assert to_simplified(text) == text


def test_strip_marks_drops_tones_only() -> None:
    assert strip_marks("Zhōngyāng Dàjiē 哈尔滨") == "Zhongyang Dajie 哈尔滨"
