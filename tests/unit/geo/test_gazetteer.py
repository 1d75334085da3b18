"""Addresses in Chinese, English and pinyin resolve to the same places."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT
from geo.city import Place, load_city
from geo.gazetteer import Gazetteer, normalize

HARBIN = PROJECT_ROOT / "data" / "cities" / "harbin"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer(load_city(HARBIN).places)


def test_normalize_drops_case_space_and_punctuation() -> None:
    assert normalize("  St. Sophia  Cathedral! ") == "stsophiacathedral"
    assert normalize("哈尔滨站，西出口。") == "哈尔滨站西出口"
    assert normalize("ＨＩＴ") == "hit"  # full-width letters


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("哈尔滨站", "哈尔滨站"),
        ("Harbin Railway Station", "哈尔滨站"),
        ("harbin   railway-station", "哈尔滨站"),
        ("near the west exit of Harbin Railway Station", "哈尔滨站"),
        ("哈尔滨站西出口附近", "哈尔滨站"),
        ("Harbin Station's west exit", "哈尔滨站"),
        ("中央大街127号", "中央大街"),
        ("Zhongyang Dajie, by the McDonald's", "中央大街"),
        ("CENTRAL STREET", "中央大街"),
        ("索菲亚教堂门口", "圣索菲亚大教堂"),
        ("outside St. Sophia Cathedral", "圣索菲亚大教堂"),
        ("哈尔滨东站候车室外", "哈尔滨东站"),
        ("Harbin East Station", "哈尔滨东站"),
        ("红博广场地下商场入口", "红博广场"),
        ("医大一院急诊门口", "哈尔滨医科大学附属第一医院"),
        ("HIT main gate", "哈尔滨工业大学"),
        ("哈工大正门", "哈尔滨工业大学"),
        ("under the old river bridge", "松花江铁路桥"),
        ("防洪纪念塔下", "防洪纪念塔"),
        ("Flood Control Monument", "防洪纪念塔"),
        ("Stalin Park bench", "斯大林公园"),
        ("道外老街 北二道街", "道外老街"),
        ("Gogol Street bus stop", "果戈里大街"),
    ],
)
def test_resolves_in_both_languages(gazetteer: Gazetteer, address: str, name: str) -> None:
    place = gazetteer.resolve(address)
    assert place is not None, address
    assert place.name == name


def test_longest_alias_wins(gazetteer: Gazetteer) -> None:
    underpass = gazetteer.resolve("经纬街地下通道口")
    assert underpass is not None and underpass.name == "经纬街地下通道"
    street = gazetteer.resolve("经纬街120号")
    assert street is not None and street.name == "经纬街"


@pytest.mark.parametrize("address", ["", "   ", "somewhere in town", "哈尔滨西站", "the white house", "出口", "!!!"])
def test_no_match(gazetteer: Gazetteer, address: str) -> None:
    assert gazetteer.resolve(address) is None


def test_latin_aliases_match_whole_words_only(gazetteer: Gazetteer) -> None:
    assert gazetteer.resolve("whitening shop") is None  # "hit" inside a word
    found = gazetteer.resolve("哈工大HIT门口")  # script change is a boundary
    assert found is not None and found.name == "哈尔滨工业大学"


def test_ties_break_by_name() -> None:
    a = Place("乙站", ("Twin Square",), "square", 45.75, 126.62)
    b = Place("甲站", ("Twin Square",), "square", 45.76, 126.63)
    for places in ((a, b), (b, a)):
        found = Gazetteer(places).resolve("by the twin square")
        assert found is not None and found.name == min(a.name, b.name)
        exact = Gazetteer(places).resolve("Twin Square")
        assert exact is not None and exact.name == min(a.name, b.name)


def test_every_key_area_landmark_is_in_the_gazetteer(gazetteer: Gazetteer) -> None:
    for address in ["松花江公路大桥", "霁虹桥", "秋林", "兆麟公园", "太阳岛", "透笼街", "靖宇公园", "南极国际",
                    "儿童公园", "香坊站", "乐松广场", "哈尔滨市救助管理站", "黑龙江大学"]:
        place = gazetteer.resolve(address)
        assert place is not None and place.name == address


@pytest.mark.parametrize(
    ("address", "name"),
    [
        # traditional characters, tone marks, full width
        ("哈爾濱站", "哈尔滨站"),
        ("哈爾濱火車站北廣場", "哈尔滨站北广场"),
        ("聖索菲亞大教堂", "圣索菲亚大教堂"),
        ("Zhōngyāng Dàjiē", "中央大街"),
        ("中央大街１２７号", "中央大街"),
        # English abbreviations and spellings
        ("Zhongyang St.", "中央大街"),
        ("Central St", "中央大街"),
        ("Zhongyang Ave", "中央大街"),
        ("Harbin Railway Stn", "哈尔滨站"),
        ("near Harbin train station", "哈尔滨站"),
        ("Jingwei St underpass", "经纬街地下通道"),
        ("Gogol St", "果戈里大街"),
        ("St. Sofia Cathedral", "圣索菲亚大教堂"),
        # landmarks with 附近/旁边/门口/对面 and intersections
        ("哈尔滨站北广场附近", "哈尔滨站北广场"),
        ("中央大街和西十二道街交口", "中央大街"),
        ("中央大街对面", "中央大街"),
        ("黑龙江省哈尔滨市道里区中央大街100号", "中央大街"),
        ("north square of Harbin Railway Station", "哈尔滨站北广场"),
        ("防洪胜利纪念塔", "防洪纪念塔"),
        ("公路桥下面", "松花江公路大桥"),
        ("学府路黑大门口", "黑龙江大学"),  # a landmark says where on a long street
        ("红军街，哈尔滨站对面", "哈尔滨站"),
        ("the rescue station", "哈尔滨市救助管理站"),
        ("East Station", "哈尔滨东站"),
    ],
)
def test_resolves_spelling_variants(gazetteer: Gazetteer, address: str, name: str) -> None:
    place = gazetteer.resolve(address)
    assert place is not None, address
    assert place.name == name


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("哈尔宾站", "哈尔滨站"),  # pinyin input typos: one homophone
        ("蛤尔滨站", "哈尔滨站"),
        ("中央大接", "中央大街"),
        ("钟央大街", "中央大街"),
        ("友谊露", "友谊路"),
        ("太阳到", "太阳岛"),
        ("希大直街", "西大直街"),
        ("哈尔滨站北光场", "哈尔滨站北广场"),  # the longer typo beats the shorter exact 哈尔滨站
        ("学府露黑大门口", "黑龙江大学"),  # but a misspelt street does not beat a landmark
        ("Harbn Railway Station", "哈尔滨站"),
        ("Harbin Railway Staion", "哈尔滨站"),
        ("Stalin Prak", "斯大林公园"),
        ("Zhongyang Streeet", "中央大街"),
        ("Harbin Eest Station", "哈尔滨东站"),  # a wrong letter in a four-letter word, the rest of a long alias exact
        ("Harbin Rall Station", "哈尔滨站"),
    ],
)
def test_one_typo_is_forgiven(gazetteer: Gazetteer, address: str, name: str) -> None:
    place = gazetteer.resolve(address)
    assert place is not None, address
    assert place.name == name


@pytest.mark.parametrize(
    "address",
    [
        "哈尔滨西站", "哈尔滨南站", "哈尔滨北站",  # real stations we do not know: never the East Station
        "哈尔滨工程大学", "哈尔滨理工大学", "哈尔滨医科大学",  # different universities, not HIT or the station
        "南京路", "和平街", "中山街", "西十二道街", "道里区", "哈尔滨市", "博物馆",
        "Harbin West Station", "Harbin Engineering University", "Heping Street", "heidi's shop", "Stalin",
        "Stalin Pork", "Jihong Qiau",  # a wrong letter in a four-letter word beside a short one: too likely another name
    ],
)
def test_different_names_are_not_typos(gazetteer: Gazetteer, address: str) -> None:
    assert gazetteer.resolve(address) is None


def test_an_ambiguous_typo_resolves_to_nothing() -> None:
    red = Place("红旗路", (), "street", 45.75, 126.62)
    flood = Place("洪旗路", (), "street", 45.76, 126.63)
    assert Gazetteer((red, flood)).resolve("虹旗路") is None  # 虹 sounds like both
    assert Gazetteer((red,)).resolve("虹旗路") == red


def test_the_simulators_misspellings_resolve_to_their_place() -> None:
    from simulators.reporters import MISSPELL_ZH

    city = load_city(HARBIN)
    gazetteer = Gazetteer(city.places)
    for place in city.places:
        for i, ch in enumerate(place.name):
            if ch in MISSPELL_ZH:
                typo = place.name[:i] + MISSPELL_ZH[ch] + place.name[i + 1 :]
                found = gazetteer.resolve(typo)
                assert found is not None and found.name == place.name, typo


def test_normalize_folds_script_variants() -> None:
    assert normalize("哈爾濱 Zhōngyāng") == "哈尔滨zhongyang"
    assert normalize("St. Sophia") == "stsophia"  # abbreviations are spelled out only when matching


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("洪防纪念塔", "防洪纪念塔"),  # the drill's transposed tip
        ("洪防纪念塔下面", "防洪纪念塔"),
        ("尔哈滨站", "哈尔滨站"),  # one swap in four characters: similarity 0.75
        ("索菲亚大堂教", "圣索菲亚大教堂"),
    ],
)
def test_two_swapped_characters_are_forgiven(gazetteer: Gazetteer, address: str, name: str) -> None:
    place = gazetteer.resolve(address)
    assert place is not None, address
    assert place.name == name


def test_a_swap_needs_the_policy_similarity() -> None:
    tower = Place("防洪纪念塔", (), "landmark", 45.7792, 126.6178)
    assert Gazetteer((tower,), min_similarity=0.8).resolve("洪防纪念塔") == tower  # 1 - 1/5
    assert Gazetteer((tower,), min_similarity=0.85).resolve("洪防纪念塔") is None
    short = Place("太阳岛", (), "park", 45.79, 126.60)
    assert Gazetteer((short,)).resolve("阳太岛") is None  # 0.67: a swap in three characters is another name


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("哈尔滨站东侧", "哈尔滨站"),  # east of the station, not 哈尔滨东站 (3 km off) with 站 and 东 swapped
        ("哈尔滨站东边的天桥底下", "哈尔滨站"),
        ("齐齐哈尔站南边", "齐齐哈尔站"),  # not 齐齐哈尔南站, 4 km south
        ("齐齐哈尔站南侧停车场", "齐齐哈尔站"),
    ],
)
def test_a_direction_after_an_exact_name_is_no_swap(address: str, name: str) -> None:
    places = load_city(HARBIN).places + load_city(HARBIN.parent / "qiqihar").places
    stations = [p for p in places if p.kind == "station"]
    place = Gazetteer(stations).resolve(address)
    assert place is not None and place.name == name, address


def test_a_swap_is_not_another_edit_or_an_ambiguous_one() -> None:
    tower = Place("防洪纪念塔", (), "landmark", 45.7792, 126.6178)
    assert Gazetteer((tower,)).resolve("洪纪防念塔") is None  # a character moved two places is no neighbour swap
    assert Gazetteer((tower,)).resolve("防洪纪念馆") is None  # another character: another place
    a = Place("东山西路", (), "street", 45.75, 126.62)
    b = Place("山东西路", (), "street", 45.76, 126.63)
    assert Gazetteer((a, b)).resolve("东山西路") == a  # an exact name is never a swap of another
    north = Place("北江桥头", (), "bridge", 45.75, 126.62)
    twin = Place("江北头桥", (), "bridge", 45.76, 126.63)
    assert Gazetteer((north, twin)).resolve("江北桥头") is None  # one swap from either: unresolved
    assert Gazetteer((north,)).resolve("江北桥头") == north


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("Hongbo Guang Chang", "红博广场"),  # no listed alias spells it: the name's pinyin does
        ("hongboguangchang", "红博广场"),
        ("Fánghóngtǎ steps", "防洪纪念塔"),  # the short alias 防洪塔, tone marks folded
        ("by Nanji Guoji market gate", "南极国际"),
    ],
)
def test_a_chinese_name_is_known_by_its_pinyin(gazetteer: Gazetteer, address: str, name: str) -> None:
    place = gazetteer.resolve(address)
    assert place is not None, address
    assert place.name == name


def test_pinyin_matches_whole_words_and_a_pinyin_two_places_share_names_neither() -> None:
    red = Place("红旗路", (), "street", 45.75, 126.62)
    flood = Place("洪旗路", (), "street", 45.76, 126.63)  # hongqilu too
    assert Gazetteer((red,)).resolve("Hongqi Lu") == red
    assert Gazetteer((red,)).resolve("xhongqilu") is None
    assert Gazetteer((red, flood)).resolve("Hongqi Lu") is None
    listed = Place("红旗路", ("Hongqi Lu",), "street", 45.75, 126.62)
    assert Gazetteer((listed, flood)).resolve("Hongqi Lu") == listed  # a listed alias wins over another's pinyin


QIQIHAR = PROJECT_ROOT / "data" / "cities" / "qiqihar"


@pytest.mark.parametrize("address", ["齐齐哈尔市第一医院", "齐齐哈尔 市一院", "Qiqihar No. 1 Hospital", "qiqihaer shi diyi yiyuan",
                                     "大庆市第一医院", "Daqing, No. 1 Hospital"])
def test_a_name_qualified_by_another_city_is_that_city_s_place_never_ours(gazetteer: Gazetteer, address: str) -> None:
    """Harbin's 市第一医院 was found inside "齐齐哈尔市第一医院" and the tip placed at Harbin's hospital, 250 km
    away. Another prefecture-level city's name (libphonenumber's list: Chinese, English, pinyin) just before it
    says whose place it is; with its area code or without, the gazetteer does not take it."""
    city = load_city(HARBIN)
    assert gazetteer.resolve(address) is None
    assert Gazetteer(city.places, area_code=city.area_code).resolve(address) is None


@pytest.mark.parametrize("address", ["哈尔滨市第一医院", "哈尔滨 市一院", "Harbin No. 1 Hospital", "haerbin shi diyi yiyuan",
                                     "市第一医院", "哈尔滨市第一医院门口"])
def test_a_name_qualified_by_the_city_s_own_name_is_still_ours(gazetteer: Gazetteer, address: str) -> None:
    place = gazetteer.resolve(address)
    assert place is not None and place.name == "哈尔滨市第一医院"


def test_a_typo_match_is_not_taken_behind_another_city_s_name_either() -> None:
    """With the exact 市一院 refused behind "哈尔滨", Qiqihar's gazetteer fell through to a one-character typo of its
    附一院 (市 is also read fu) and placed a Harbin hospital at Qiqihar's medical university."""
    city = load_city(QIQIHAR)
    gazetteer = Gazetteer(city.places, area_code=city.area_code)
    assert gazetteer.resolve("哈尔滨 市一院") is None
    found = gazetteer.resolve("齐齐哈尔 市一院")
    assert found is not None and found.name == "齐齐哈尔市第一医院"


@pytest.mark.parametrize("folder", [HARBIN, QIQIHAR])
def test_every_shipped_name_still_finds_its_place(folder: Path) -> None:
    """No name a city lists starts with a city name taken for another city's (哈尔滨站 keeps 哈尔滨 Harbin's)."""
    city = load_city(folder)
    gazetteer = Gazetteer(city.places, area_code=city.area_code)
    for place in city.places:
        for alias in (place.name, *place.aliases):
            assert gazetteer.resolve(alias) == place, alias
            assert gazetteer.resolve(f"{alias}附近") == place, alias


def _served(folder: Path) -> Gazetteer:
    city = load_city(folder)
    return Gazetteer(city.places, area_code=city.area_code)


@pytest.mark.parametrize(("folder", "address"), [
    (HARBIN, "齐齐哈而市第一医院"), (HARBIN, "齐齐哈而 市一院"), (QIQIHAR, "大庆试第一医院"), (QIQIHAR, "牡丹江是第一医院"),
    (QIQIHAR, "哈爾濱市第一医院"), (QIQIHAR, "哈尔宾市第一医院"), (QIQIHAR, "哈尔宾第一医院"),
])
def test_a_misspelt_other_city_name_still_says_whose_place_it_is(folder: Path, address: str) -> None:
    """Input methods type 齐齐哈而 for 齐齐哈尔 and 试 or 是 for 市: the city is still named, and the hospital is
    that city's, not ours (pypinyin's toneless reading; OpenCC folds 哈爾濱)."""
    assert _served(folder).resolve(address) is None
    assert Gazetteer(load_city(folder).places).resolve(address) is None


@pytest.mark.parametrize(("folder", "address", "name"), [
    (QIQIHAR, "齐齐哈而市第一医院", "齐齐哈尔市第一医院"), (HARBIN, "哈尔宾市第一医院", "哈尔滨市第一医院"),
    (HARBIN, "大清早在市第一医院门口", "哈尔滨市第一医院"), (HARBIN, "是第一医院", "哈尔滨市第一医院"),
])
def test_a_word_that_only_sounds_like_another_city_does_not_block(folder: Path, address: str, name: str) -> None:
    """The city's own name misspelt is still its own, and a word that merely sounds like a city's name (大清,
    daqing) is no city unless 市, 区 or 县 (or its homophone) follows it."""
    place = _served(folder).resolve(address)
    assert place is not None and place.name == name


@pytest.mark.parametrize(("folder", "address"), [
    (HARBIN, "肇东市第一医院"), (HARBIN, "安达市第一医院"), (HARBIN, "龙沙区 市一院"),
    (QIQIHAR, "双城区第一医院"), (QIQIHAR, "哈尔滨市道里区第一医院"), (QIQIHAR, "肇东市第一医院"),
])
def test_another_city_s_district_or_county_says_whose_place_it_is(folder: Path, address: str) -> None:
    """肇东市 and 安达市 are county-level cities of Suihua, 双城区 is Harbin's and 龙沙区 Qiqihar's: a hospital
    named after them is theirs (data/divisions.toml), not the 市第一医院 or 第一医院 of the city we serve."""
    assert _served(folder).resolve(address) is None


@pytest.mark.parametrize(("folder", "address", "name"), [
    (HARBIN, "哈尔滨市双城区 市一院", "哈尔滨市第一医院"), (QIQIHAR, "龙沙区第一医院", "齐齐哈尔市第一医院"),
])
def test_the_city_s_own_district_does_not_block(folder: Path, address: str, name: str) -> None:
    place = _served(folder).resolve(address)
    assert place is not None and place.name == name


@pytest.mark.parametrize(("folder", "address"), [
    (HARBIN, "Qiqihar Yida Yiyaun"), (HARBIN, "Daqing Shi Yida Yiyaun"), (QIQIHAR, "Harbin Zhanqian Dajei"),
])
def test_a_latin_typo_behind_another_city_s_name_is_not_ours(folder: Path, address: str) -> None:
    """"Qiqihar Yida Yiyaun" fell through to the one-letter Latin typo of Harbin's Yida Yiyuan, which did not look
    at the city named before it."""
    assert _served(folder).resolve(address) is None


def test_a_latin_typo_behind_the_city_s_own_name_is_still_ours() -> None:
    place = _served(QIQIHAR).resolve("Qiqihar Zhanqian Dajei")
    assert place is not None and place.name == _served(QIQIHAR).resolve("站前大街").name  # type: ignore[union-attr]
