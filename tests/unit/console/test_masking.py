"""Masking for team phones: one row per written form of a personal detail, and what must stay readable."""

from __future__ import annotations

import pytest

from console.masking import MASK, fold_with_origins, mask_text, personal_spans

# (text, the secret that must disappear)
HIDDEN: list[tuple[str, str]] = [
    # mobile numbers, every way people type them
    ("电话13800138000", "13800138000"),
    ("call 138.1234.5678 now", "138.1234.5678"),
    ("号码138/1234/5678", "138/1234/5678"),
    ("手机 138 1234 5678", "138 1234 5678"),
    ("手机138-1234-5678", "138-1234-5678"),
    ("+86 138 1234 5678", "138 1234 5678"),
    ("0086-13812345678", "13812345678"),
    ("电话（138）1234 5678", "1234 5678"),
    ("全角１３８１２３４５６７８", "１３８１２３４５６７８"),
    ("电话一三八一二三四五六七八", "一三八一二三四五六七八"),
    ("打幺三八 幺二三四 五六七八", "幺三八 幺二三四 五六七八"),
    ("号码一三八零零一三八零零零", "一三八零零一三八零零零"),
    # formal (大写) numerals and the other separators people put between the groups
    ("电话壹叁捌壹贰叁肆伍陆柒捌", "壹叁捌壹贰叁肆伍陆柒捌"),
    ("電話壹參捌 壹貳參肆 伍陸柒捌", "伍陸柒捌"),
    ("tel 138_1234_5678", "138_1234_5678"),
    ("号码138*1234*5678", "138*1234*5678"),
    ("电话：138，1234，5678", "1234"),
    ("电话138、1234、5678", "1234"),
    ("电话 138~1234~5678", "138~1234~5678"),
    ("手机138 _ 1234 _ 5678", "1234"),
    # landlines and service numbers
    ("座机0451-8765-4321", "8765-4321"),
    ("(0451) 87654321", "87654321"),
    ("tel 010 6552 9988", "6552 9988"),
    # resident ID numbers
    ("身份证230102199001011234", "230102199001011234"),
    ("ID230102199001011234", "230102199001011234"),
    ("证件号23010219900101123X号", "23010219900101123X"),
    ("id:23010219900101123x", "23010219900101123x"),
    ("身份证 230102 19900101 1234", "19900101"),
    ("老身份证230102900101123", "230102900101123"),
    ("全角２３０１０２１９９００１０１１２３４", "２３０１０２１９９００１０１１２３４"),
    # e-mail, written and spelled
    ("邮箱zhang.san@example.com", "zhang.san@example.com"),
    ("mail: zhang@example.com.cn", "zhang@example.com.cn"),
    ("write to zhang at example dot com", "zhang at example dot com"),
    ("zhang(at)example(dot)com", "zhang(at)example(dot)com"),
    ("zhang [at] example [dot] cn", "example"),
    ("zhang at example.com", "example.com"),
    ("全角ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ｚｈａｎｇ＠ｅｘａｍｐｌｅ"),
    # licence plates
    ("车牌黑A12345停在路边", "A12345"),
    ("车牌黑 A12345", "A12345"),
    ("车牌黑a12345", "a12345"),
    ("车牌黑Ａ１２３４５", "Ａ１２３４５"),
    ("车牌黑A·D1234", "D1234"),
    ("粤B-12345的车", "12345"),
    ("新能源黑AD12345", "AD12345"),
    # chat ids and passports
    ("微信号zhangsan_1990", "zhangsan_1990"),
    ("加微信：wx-zhang88", "wx-zhang88"),
    ("WeChat ID: zhang_san88", "zhang_san88"),
    ("vx zhangsan2024", "zhangsan2024"),
    ("QQ号 12345678", "12345678"),
    ("护照号E12345678", "E12345678"),
    ("passport no. G12345678", "G12345678"),
    ("passport EA1234567", "EA1234567"),
    ("证件E12345678", "E12345678"),
    # names
    ("报警人王建国说", "王建国"),
    ("报警人张三丰 电话13800138000", "三丰"),  # a numeral character inside a name is still a name
    ("李四先生在桥下", "李四"),
    ("张建国师傅", "建国"),
    ("Old man named John Smith", "John Smith"),
    ("Mr. Wang called", "Wang"),
]

# Text that must come through unchanged: times, dates, house numbers, counts, hotlines.
KEPT: list[str] = [
    "23:15发现，2026-12-20晚",
    "2026/12/20 23:15",
    "2026.12.20",
    "2026年12月20日",
    "中央大街120号1203室",
    "3个人，约60岁，零下25度",
    "一个老人和两个孩子",
    "打110和120",
    "热线12345",
    "Gate 3, building 12, room 1203",
    "two people at the bridge. Then left",
    "meet at gate 5",
    "G1234次列车",
    "黑龙江省哈尔滨市",
    "温度-25.5，风速12.3米/秒",
    "坐标45.7735,126.6165",
    "坐标45.7735, 126.6165",
    "3、4、5号楼",
    "at 23:15 near exit B2",
]


@pytest.mark.parametrize(("text", "secret"), HIDDEN, ids=[t for t, _ in HIDDEN])
def test_personal_detail_is_hidden(text: str, secret: str) -> None:
    masked = mask_text(text)
    assert secret not in masked, masked
    assert MASK in masked or "某" in masked


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_kept(text: str) -> None:
    assert mask_text(text) == text


def test_unmasked_text_reads_as_written() -> None:
    # Folding is only for matching: full-width punctuation and letters elsewhere stay as typed.
    text = "老人（约７０岁），电话１３８１２３４５６７８，在Ｂ出口"
    assert mask_text(text) == f"老人（约７０岁），电话{MASK}，在Ｂ出口"


def test_fold_maps_back_to_original_characters() -> None:
    folded, origins = fold_with_origins("ａ一ｂ")
    assert folded == "a1b" and origins == [0, 1, 2]
    spans = personal_spans("电话一三八一二三四五六七八。")
    assert spans == [(2, 13, MASK)]
