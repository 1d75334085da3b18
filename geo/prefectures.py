"""China's prefecture-level cities by name, to tell a place of another city from a place of this one.

A caller who says "齐齐哈尔市第一医院" in Harbin means Qiqihar's hospital, not
Harbin's 市第一医院 that the address happens to contain. The names come from
libphonenumber's geocoding data (the `phonenumbers` package, already used for
callback numbers): every Chinese area code with its city in Chinese
("黑龙江省齐齐哈尔市") and English ("Qiqihar, Heilongjiang"), so no table is
typed by hand and a city's own names follow from its `area_code`. libphonenumber
names no districts or counties, so those (肇东市, 双城区) come from
`data/divisions.toml`, by the same area codes.

A name typed with a pinyin input method may be a homophone (齐齐哈而, 大庆试 for
大庆市): `other_sounds` gives the toneless pinyin of every other city's
Chinese names, so the gazetteer can hear them too.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from core.settings import DATA_DIR
from geo.addresskey import address_key, char_reading, fold_address, is_cjk, pinyin_key

DIVISIONS_FILE = DATA_DIR / "divisions.toml"

# The province part of a Chinese description: "黑龙江省", "广西壮族自治区", or an autonomous region or province
# written without its suffix ("内蒙古呼伦贝尔市", "云南怒江").
_PROVINCE = re.compile(r"^(?:[^省]{2,3}省|.{2,9}?自治区|内蒙古|广西|宁夏|新疆|西藏|云南|四川|甘肃|贵州)")
# What a city's name may be said without: 齐齐哈尔市 is also 齐齐哈尔.
_SUFFIX = re.compile(r"(?:市|地区|盟|自治州)$")
_WORD = re.compile(r"[a-z0-9]+")


def _names(zh: str, en: str) -> set[str]:
    """A description's city names: Chinese with and without its suffix, English, and the Chinese one's pinyin."""
    names: set[str] = set()
    for part in zh.split("、"):
        city = _PROVINCE.sub("", part) or part  # "上海市", "天津" have no province part
        names.add(city)
        if len(short := _SUFFIX.sub("", city)) >= 2:
            names.add(short)
            if (sound := pinyin_key(short)) is not None:
                names.add(sound)
    names.add(en.split(",")[0])
    return {key for name in names if len(key := address_key(name)) >= 2}


@lru_cache(maxsize=1)
def _by_area_code() -> dict[str, frozenset[str]]:
    """Every Chinese area code (without its 0) to the keys of its city's names."""
    from phonenumbers.geodata import GEOCODE_DATA  # about 0.4 s to load: only when a gazetteer is built

    out: dict[str, set[str]] = {}
    for prefix, described in GEOCODE_DATA.items():
        # Area codes are 2 or 3 digits after 86; longer prefixes are mobile number blocks naming the same cities.
        if prefix.startswith("86") and len(prefix) <= 5 and "zh" in described:
            out.setdefault(prefix[2:], set()).update(_names(described["zh"], described.get("en", "")))
    for code, names in _divisions(DIVISIONS_FILE).items():
        out.setdefault(code.removeprefix("0"), set()).update(key for name in names if len(key := address_key(name)) >= 2)
    return {code: frozenset(keys) for code, keys in out.items()}


def _divisions(path: Path) -> dict[str, list[str]]:
    """The county-level divisions' names by their prefecture's area code ("0455": 肇东市, 安达市, ...)."""
    with path.open("rb") as f:
        table = tomllib.load(f).get("by_area_code", {})
    return {str(code): [str(name) for name in names] for code, names in table.items()}


@lru_cache(maxsize=64)
def _own(area_code: str | None, own_names: frozenset[str]) -> frozenset[str]:
    by_code = _by_area_code()
    if area_code is not None:
        return by_code.get(area_code.removeprefix("0"), frozenset())
    # No area code: a city name that starts one of the city's own Chinese place names (哈尔滨站), or is the first
    # word of a Latin one (Harbin First Hospital), is the city's own; so is its pinyin. Streets named after other
    # cities (中山路) make those cities' names its own too: an area code says better.
    every = frozenset().union(*by_code.values())
    chinese = [address_key(name) for name in own_names if pinyin_key(name) is not None]
    words = {found[0] for name in own_names if (found := _WORD.findall(fold_address(name)))}
    own = {name for name in every if name in words or any(key.startswith(name) for key in chinese)}
    # A city found so is known by every name of its area code, its districts and counties too (道里区 is Harbin's).
    own.update(*(keys for keys in by_code.values() if keys & own))
    return frozenset(own | {sound for name in own if (sound := pinyin_key(name)) is not None})


def own_city(area_code: str | None, own_names: Iterable[str]) -> frozenset[str]:
    """The address keys of the city's own names: those of its `area_code` ("0451": 哈尔滨, 哈尔滨市, Harbin,
    haerbin), else the city names its places' names (`own_names`) begin with."""
    return _own(area_code, frozenset(own_names))


def other_cities(own: frozenset[str]) -> frozenset[str]:
    """The address keys of every prefecture-level city's names but the `own` ones."""
    return frozenset().union(*_by_area_code().values()) - own


def _sounds(names: Iterable[str]) -> set[str]:
    """The toneless pinyin of the Chinese names: pypinyin's reading of the phrase, and each character's usual one
    run together (what an input method types for 重庆: chongqing and zhongqing)."""
    out: set[str] = set()
    for name in names:
        if (phrase := pinyin_key(name)) is not None:
            out.add(phrase)
            out.add("".join(char_reading(ch) or "" for ch in name))
    return out


@lru_cache(maxsize=64)
def other_sounds(own: frozenset[str]) -> frozenset[str]:
    """The toneless pinyin of every other city's Chinese names (齐齐哈尔, 大庆市, 肇东市), but those that sound like
    one of the `own` names (a misspelt own name is still ours)."""
    others = other_cities(own)
    return frozenset(_sounds(name for name in others if all(is_cjk(ch) for ch in name)) - _sounds(own))
