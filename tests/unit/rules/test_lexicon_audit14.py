"""The readings audit 14 added and the words beside them that must not read: a chat's sender and time header, kneeling,
a numbered list of sightings, a child with her little boy."""

from __future__ import annotations

import pytest

from core.settings import DATA_DIR
from rules.lexicon import load_lexicon, normalize_text

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "sex"),
    [
        # the sender is no person: 王阿姨 does not make the drunk man a woman
        ("王阿姨 23:47:\n火车站有个男的喝多了\n王阿姨 23:51: 天哪", "male"),
        ("Mike 01:05: saw a woman sitting by the church", "female"),
        # a woman named in the text itself still counts
        ("凌晨2:30看见一个女的坐在路边", "female"),
    ],
)
def test_a_chat_sender_is_no_person(text: str, sex: str) -> None:
    assert LEXICON.description_in(text)[0] == sex


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("凌晨2:30看见", "2:30"),  # a time inside a sentence is no header
        ("时间:02:13:有人", "02:13"),  # nor a form's time field
        ("性别：女 时间 02:13", "02:13"),
    ],
)
def test_a_time_that_is_no_header_is_kept(text: str, kept: str) -> None:
    assert kept in normalize_text(text)


@pytest.mark.parametrize(
    ("text", "posture"),
    [
        ("一个老太太跪在路边起不来", "sitting"),
        ("a man on his knees in the snow", "sitting"),
        ("someone kneeling by the bus stop", "sitting"),
        # 跪求 in a post is "please", no posture
        ("跪求扩散，有个大爷躺在桥洞里", "lying"),
    ],
)
def test_kneeling_is_sitting(text: str, posture: str) -> None:
    assert LEXICON.description_in(text)[1] == posture


@pytest.mark.parametrize(
    ("text", "persons"),
    [
        ("1. 一个大爷躺着；2. 一个女的坐着；3. 两个男的在烤火", 4),
        ("1) man lying by the gate 2) woman sitting next to him", 2),
        ("1、男，约50岁，躺；2、女，约30岁，坐", 2),
        # one person told item by item is the one 一个 counts, a list that does not run 1, 2 adds nothing up
        ("1. 一个老太太坐在公交站 2. 她说儿子不要她了", 1),
        ("2. 一个大爷 3. 一个女的", 1),
        ("走了1.5公里，有个大爷躺着", None),
        ("a woman with her little boy, both shivering", 2),
    ],
)
def test_a_numbered_list_counts_its_persons(text: str, persons: int | None) -> None:
    assert LEXICON.persons_in(text) == persons
