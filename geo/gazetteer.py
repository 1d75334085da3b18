"""Addresses to places: callers say "哈尔滨站西出口附近", not coordinates.

Matching ignores case, width, whitespace, punctuation, tone marks and
traditional characters (哈爾濱站), reads common English abbreviations as words
("St" street, "Rd" road, "Stn" station), and knows each place by its Chinese
name and its English, pinyin and short aliases. The whole address matching
an alias wins; otherwise the longest alias contained in the address (so
"near the west exit of Harbin Railway Station" finds the station), a landmark
before a street ("学府路黑大门口" is the university gate, not a point
somewhere on a long road). Latin
aliases only match on word boundaries, so a short alias such as "HIT" is not
found inside "white". Ties go to the place name, so the same address always
resolves to the same place.

One typo is forgiven when it names a longer alias than any exact match: a
Chinese alias of three or more characters with one character replaced by a
homophone, as pinyin input methods do (哈尔宾站, 中央大接, 友谊露); a
multi-word Latin alias with one word off by one letter (Harbn Railway
Station). A replacement that is no homophone is a different name, so
哈尔滨西站 does not become 哈尔滨东站 and 哈尔滨工程大学 does not become
哈尔滨工业大学; when a typo could mean two places (希大直街: 西 or 东?) the
address stays unresolved.

Two neighbouring characters typed in the wrong order (洪防纪念塔 for
防洪纪念塔) keep every character of the name, so a transposition is forgiven
too, scored by RapidFuzz's optimal-string-alignment similarity (one swap in
five characters: 0.8) against `min_similarity` (the policy's
`intake.address_min_similarity`): a swap in a short name (3 characters, 0.67)
is too likely another name, and a swap that fits two places resolves to none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from rapidfuzz.distance import OSA

from core.textfold import fold, strip_marks
from geo.city import Place

# English abbreviations people type in addresses, read as the full word.
_ABBREVIATIONS = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue", "sq": "square", "stn": "station",
    "sta": "station", "univ": "university", "uni": "university", "hosp": "hospital", "mkt": "market", "rly": "railway",
    "rwy": "railway", "blvd": "boulevard", "bldg": "building", "intl": "international",
}
_ABBREVIATION = re.compile(r"(?<![a-z0-9])(" + "|".join(sorted(_ABBREVIATIONS, key=len, reverse=True)) + r")(?![a-z0-9])")
# Groups of characters read alike (toneless Mandarin syllables) for the
# characters of place names: a pinyin input method's typo picks one of these.
# A character outside every group is never taken as a typo.
_HOMOPHONES = (
    "一衣医依伊壹仪宜移遗姨疑以已乙艺义亿忆议亦异役译易意益谊逸翼毅", "下夏吓虾瞎峡侠狭霞辖厦", "业也叶页夜野爷液耶冶",
    "东冬董懂动冻洞栋", "中钟终忠种众重肿仲衷", "乐勒了", "乐月越岳阅悦跃粤约", "乡香相想向象项响箱湘详祥享巷橡镶襄",
    "二而儿耳尔饵洱贰", "亚压呀鸭牙芽雅哑崖涯讶", "兆照找赵招朝召罩昭沼", "克可科客刻课颗棵柯渴壳苛",
    "公工功攻宫弓共供贡巩恭躬龚", "军君均菌俊峻骏郡竣", "利力历里理李立丽例礼粒厉励莉黎离梨璃狸", "前钱千迁签浅欠潜谦铅牵",
    "助主住注著朱珠竹猪煮柱祝驻筑诸逐烛嘱", "化花华话画划滑哗桦", "北被备背贝辈杯悲碑倍", "区去取曲趣渠屈驱娶",
    "南难男楠喃", "博波播伯薄搏勃驳脖泊柏拨剥", "厦沙杀纱傻啥", "友有又由油游优邮尤右幼犹悠忧佑柚", "发法罚乏伐阀",
    "史是市事时十石式世室试使始实士示师诗施失识视势适释拾食氏", "司四思斯死私丝寺似撕饲肆", "和河合何喝贺荷盒核禾鹤赫",
    "哈蛤", "商上尚伤赏晌裳", "园元原圆源员远院愿怨援缘苑袁渊", "国过果锅郭裹", "圣生声胜升省盛绳剩牲甥",
    "地第弟底低滴迪抵帝递敌笛堤", "场厂常长尝昌唱畅肠倡", "坊方房放防芳访仿纺妨", "堂唐汤糖躺烫趟塘", "塔他她它踏塌榻",
    "外歪", "大达打答搭", "太台泰态抬胎汰", "央阳洋杨扬羊养样仰氧秧", "学雪血穴靴薛",
    "宇于与雨语鱼余玉遇育预域欲御誉愉愚渔予屿羽", "属书树数术输叔舒熟鼠述暑束梳疏蔬殊", "山衫善闪扇删珊陕杉",
    "岛道到倒导刀稻盗蹈祷", "巴八吧把爸拔坝霸疤芭", "平评凭瓶萍屏苹坪", "广光逛", "府夫服福富父付副复负妇扶浮符辅腐赴傅斧抚肤附",
    "志之只知直值治制指支止纸智至质职植致执织置秩稚", "念年粘碾捻", "戈哥歌个各格隔割革阁鸽搁", "成城程承诚称乘呈撑橙秤惩",
    "批皮披匹屁脾疲劈僻", "政正整证争郑征睁蒸挣症", "救就九酒久旧究纠揪舅", "教交叫脚角较焦骄胶郊椒浇娇搅", "文问温闻稳吻纹蚊",
    "旗起其期气齐骑器奇棋汽企启七妻欺岂", "景经京精静井警境镜敬竟竞净惊晶径颈靖", "曼满慢漫蛮馒瞒", "松送宋颂诵耸",
    "极及级机几记计基鸡际即集急纪技季继寄剂迹积击吉籍激挤疾寂辑霁", "林临邻淋琳霖鳞凛麟", "桥乔巧侨敲瞧翘悄", "步不部布补捕簿",
    "段断短端锻缎", "江将讲姜奖降僵浆疆", "洛落罗络骆逻锣萝螺裸", "洪红宏虹鸿轰哄", "洲州周舟粥轴宙皱昼", "滨宾彬斌缤濒",
    "火或货获活伙祸惑", "物无五武午舞务误屋乌吴悟雾伍", "电店点典殿垫淀颠", "畔盘判盼攀叛", "秋求球丘邱囚",
    "站战占展斩沾粘詹盏栈绽湛蘸毡", "童同通铜统桶痛筒彤", "笼龙隆聋拢垄陇", "管关观官馆冠惯贯灌罐", "索所锁缩梭",
    "纬为位未委味围卫维伟尾微危威唯胃慰谓", "老劳牢捞涝", "菲非飞肥费废妃啡匪", "行星兴型形醒姓性幸杏", "行航杭",
    "街接阶节皆结介届界借姐解揭杰洁截戒", "西希溪吸夕息稀惜喜洗系细戏习席袭熙", "路露鹿录陆禄炉卢芦鲁庐", "车彻撤扯",
    "进金今近尽紧仅斤津筋锦劲禁", "透头投偷", "铁贴帖", "风丰封峰锋疯蜂枫奉逢", "黑嘿",
)
_SOUNDS: dict[str, frozenset[int]] = {}
for _group, _chars in enumerate(_HOMOPHONES):
    for _ch in _chars:
        _SOUNDS[_ch] = _SOUNDS.get(_ch, frozenset()) | {_group}


def _homophones(typed: str, meant: str) -> bool:
    """Whether a pinyin input method could have typed `typed` for `meant`."""
    return typed != meant and bool(_SOUNDS.get(typed, frozenset()) & _SOUNDS.get(meant, frozenset()))


# The least optimal-string-alignment similarity at which a transposed name is
# taken for the place (policy `intake.address_min_similarity` overrides it).
DEFAULT_MIN_SIMILARITY = 0.75
# The kind of place that is a long line, not a point: any other place named
# in the same address ("学府路黑大门口") says better where on it.
STREET_KIND = "street"
# Fuzzy matching only looks at the start of very long addresses.
_FUZZY_MAX_CHARS = 200
_LATIN_WORD = re.compile(r"[a-z0-9]+")


def _kept(ch: str) -> bool:
    return unicodedata.category(ch)[0] in ("L", "N")


def _is_latin(ch: str) -> bool:
    return ch.isascii() or unicodedata.category(ch)[0] == "N" or "LATIN" in unicodedata.name(ch, "")


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def _fold(text: str) -> str:
    """Folded text with tone marks dropped and abbreviations spelled out."""
    folded = strip_marks(fold(text))
    return _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m.group(1)], folded)


def normalize(text: str) -> str:
    """Case-folded letters and digits only, tone marks dropped, traditional characters simplified."""
    return "".join(ch for ch in strip_marks(fold(text)) if _kept(ch))


def _key(text: str) -> str:
    """`normalize` with abbreviations spelled out: the key every comparison uses."""
    return "".join(ch for ch in _fold(text) if _kept(ch))


def _compact_with_boundaries(text: str) -> tuple[str, set[int]]:
    """The normalized text and the positions in it where a word starts or ends.

    A boundary is the start, the end, a dropped separator (space,
    punctuation) and any switch between Latin and non-Latin script.
    """
    out: list[str] = []
    bounds = {0}
    prev_latin: bool | None = None
    for ch in _fold(text):
        if not _kept(ch):
            bounds.add(len(out))
            prev_latin = None
            continue
        latin = _is_latin(ch)
        if prev_latin is not None and latin != prev_latin:
            bounds.add(len(out))
        if not latin:  # every CJK character is a word of its own
            bounds.add(len(out))
            bounds.add(len(out) + 1)
        out.append(ch)
        prev_latin = latin
    bounds.add(len(out))
    return "".join(out), bounds


def _one_edit(typed: str, known: str) -> bool:
    """Whether `typed` is `known` with one wrong, missing, extra or swapped letter.

    Short words must match exactly (a swap is allowed from four letters, any
    other edit from five), and the first letter must be right unless it was
    swapped with the second.
    """
    if typed == known:
        return True
    if len(known) < 4 or (typed[:1] != known[:1] and typed[:2] != known[1::-1]):
        return False
    if len(typed) == len(known):
        diffs = [i for i in range(len(known)) if typed[i] != known[i]]
        if len(diffs) == 2 and diffs[1] == diffs[0] + 1 and typed[diffs[0]] == known[diffs[1]] and typed[diffs[1]] == known[diffs[0]]:
            return True
        return len(diffs) == 1 and len(known) >= 5 and not (typed[diffs[0]].isdigit() or known[diffs[0]].isdigit())
    if len(known) < 5 or abs(len(typed) - len(known)) != 1:
        return False
    short, long = (typed, known) if len(typed) < len(known) else (known, typed)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


class Gazetteer:
    """Resolves free-text addresses to known places, deterministically."""

    def __init__(self, places: Iterable[Place], min_similarity: float = DEFAULT_MIN_SIMILARITY) -> None:
        self.places = tuple(places)
        self.min_similarity = min_similarity
        index: dict[str, Place] = {}
        latin: list[tuple[tuple[str, ...], Place]] = []
        for place in sorted(self.places, key=lambda p: p.name):
            for alias in (place.name, *place.aliases):
                key = _key(alias)
                if key and key not in index:  # the first name in sort order keeps a shared alias
                    index[key] = place
                    words = tuple(_LATIN_WORD.findall(_fold(alias)))
                    if len(words) >= 2 and "".join(words) == key:
                        latin.append((words, place))
        self._index = index
        # Longest first, then by place name: the first contained alias wins.
        self._by_length = sorted(index.items(), key=lambda kv: (-len(kv[0]), kv[1].name, kv[0]))
        # One wildcard position per Chinese alias key: "哈尔?站" -> 哈尔滨站 (position 2).
        wild: dict[str, list[tuple[int, str, Place]]] = {}
        for key, place in self._by_length:
            if len(key) >= 3 and all(_is_cjk(ch) for ch in key):
                for i in range(len(key)):
                    wild.setdefault(key[:i] + "?" + key[i + 1 :], []).append((i, key, place))
        self._wild = wild
        # Chinese alias keys by their characters in sorted order: a transposition keeps them.
        anagrams: dict[str, list[tuple[str, Place]]] = {}
        for key, place in self._by_length:
            if len(key) >= 3 and all(_is_cjk(ch) for ch in key):
                anagrams.setdefault("".join(sorted(key)), []).append((key, place))
        self._anagrams = anagrams
        self._anagram_lengths = sorted({len(k) for k in anagrams}, reverse=True)
        self._wild_lengths = sorted({len(k) for k in wild}, reverse=True)
        self._latin = sorted(latin, key=lambda wp: (-sum(map(len, wp[0])), wp[1].name, wp[0]))

    def resolve(self, address: str) -> Place | None:
        """The place an address names, or None if it names none we know."""
        text, bounds = _compact_with_boundaries(address)
        if not text:
            return None
        exact = self._index.get(text)
        if exact is not None:
            return exact
        best: tuple[str, Place] | None = None
        for key, place in self._by_length:
            if len(key) <= len(text) and self._contains(text, bounds, key):
                if place.kind != STREET_KIND:
                    best = (key, place)
                    break
                if best is None:  # a street is long: a landmark named along with it is more precise
                    best = (key, place)
        longer = len(best[0]) + 1 if best is not None else 0
        typo = self._resolve_typo(text, longer)
        if typo is None:
            typo = self._resolve_latin_typo(address, longer)
        if typo is None:
            typo = self._resolve_swap(text, longer)
        if typo is not None and not (typo.kind == STREET_KIND and best is not None and best[1].kind != STREET_KIND):
            return typo
        return best[1] if best is not None else None

    @staticmethod
    def _contains(text: str, bounds: set[int], key: str) -> bool:
        start = text.find(key)
        while start != -1:
            end = start + len(key)
            if start in bounds and end in bounds:
                return True
            start = text.find(key, start + 1)
        return False

    def _resolve_typo(self, text: str, min_length: int) -> Place | None:
        """The longest Chinese alias (of at least `min_length`) found with one character replaced by a homophone.

        Two different places at that length make the typo ambiguous: None.
        """
        text = text[:_FUZZY_MAX_CHARS]
        for length in self._wild_lengths:
            if length < min_length:
                break
            found: set[Place] = set()
            for start in range(len(text) - length + 1):
                window = text[start : start + length]
                if not all(_is_cjk(ch) for ch in window):
                    continue
                for i in range(length):
                    for pos, key, place in self._wild.get(window[:i] + "?" + window[i + 1 :], ()):
                        if pos == i and _homophones(window[pos], key[pos]):
                            found.add(place)
            if found:
                return found.pop() if len(found) == 1 else None
        return None

    def _resolve_latin_typo(self, address: str, min_length: int) -> Place | None:
        """The longest multi-word Latin alias found with one word off by one letter ("Harbn Railway Station")."""
        words = _LATIN_WORD.findall(_fold(address[: _FUZZY_MAX_CHARS * 4]))[:_FUZZY_MAX_CHARS]
        if len(words) < 2:
            return None
        found: set[Place] = set()
        found_length = 0
        for alias, place in self._latin:
            length = sum(map(len, alias))
            if length < max(min_length, found_length):
                break
            k = len(alias)
            for start in range(len(words) - k + 1):
                window = words[start : start + k]
                misses = [i for i in range(k) if window[i] != alias[i]]
                if len(misses) == 1 and _one_edit(window[misses[0]], alias[misses[0]]):
                    found.add(place)
                    found_length = length
                    break
        return found.pop() if len(found) == 1 else None

    def _resolve_swap(self, text: str, min_length: int) -> Place | None:
        """The longest Chinese alias (of at least `min_length`) found with two neighbouring characters swapped.

        Only a single adjacent transposition counts (optimal string
        alignment distance 1 between anagrams), at a similarity of at least
        `min_similarity`; two different places at that length: None.
        """
        text = text[:_FUZZY_MAX_CHARS]
        for length in self._anagram_lengths:
            if length < min_length:
                break
            found: set[Place] = set()
            for start in range(len(text) - length + 1):
                window = text[start : start + length]
                for key, place in self._anagrams.get("".join(sorted(window)), ()):
                    if (window != key and OSA.distance(window, key) == 1
                            and OSA.normalized_similarity(window, key) >= self.min_similarity):
                        found.add(place)
            if found:
                return found.pop() if len(found) == 1 else None
        return None
