"""Tips about the persons: many channels, each with its own hours and noise.

A person is first reported some time after appearing; the reporting hazard
follows the sum of the channels' rates at that hour, and the channel of each
report is drawn by its rate at that hour (couriers at meal times, sanitation
workers before dawn, drivers and guards at night). Some persons are reported
again by other channels within minutes (duplicates the pipeline must merge).
Tips carry position noise, addresses (sometimes misspelt or unknown), Chinese
or English text, and sometimes no `flags`: then the text carries the cue
words, checked against the pipeline's own lexicon so the truth is exact.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from core.settings import DATA_DIR
from geo.distance import offset_latlon
from rules.lexicon import Lexicon, load_lexicon
from simulators.citymap import CityMap
from simulators.people import Person
from simulators.scenario import MALFORMED_KINDS, ChannelSpec, ReportingSpec

LEXICON_PATH = DATA_DIR / "lexicon.toml"

# Cue phrases per flag: (Chinese choices, English choices). Each must make the
# lexicon find exactly its flag.
CUES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "unresponsive": (("昏迷不醒", "怎么叫都叫不醒"), ("unconscious", "collapsed and won't wake")),
    "injured": (("腿受伤了", "头上在流血"), ("injured", "bleeding from the head")),
    "ill": (("在发烧", "病了，一直咳嗽"), ("has a fever", "looks sick")),
    "mental": (("神志不清，胡言乱语", "一直自言自语"), ("delirious", "keeps talking to himself")),
    "minor": (("是个离家出走的孩子", "看着像中学生"), ("a runaway teen", "looks like a child")),
    "disabled": (("是盲人", "有残疾"), ("blind", "disabled")),
    "immobile": (("坐着轮椅", "走不动路"), ("in a wheelchair", "can't walk")),
    "no_id": (("没有身份证", "说不出名字"), ("has no ID", "unidentified")),
    "refuses": (("不愿去救助站", "拒绝帮助"), ("refuses to go to the shelter", "won't go to the station")),
    "domestic_violence": (("说被丈夫打了", "遭受家暴跑出来的"), ("beaten by her husband", "fled domestic violence")),
    "migrant_worker": (("找不到工作", "是来打工的"), ("out of work", "a migrant worker")),
    "robbed": (("钱包被偷了", "手机被抢了"), ("was robbed", "wallet stolen")),
    "intoxicated": (("喝醉了", "一身酒味"), ("drunk", "smells of alcohol")),
}
PLAIN = (("穿得很少", "在外面坐了很久", "看起来没地方去"), ("sitting in the cold", "with nowhere to go", "dressed too lightly"))
SUBJECTS_ZH = ("一名男子", "一名女子", "一个人")
SUBJECTS_EN = ("a man", "a woman", "someone")
ELDERLY_ZH = ("一个老大爷", "一位老奶奶", "一位老人")  # same order as the English: man, woman, unsaid
ELDERLY_EN = ("an elderly man", "an old woman", "an elderly person")
SPOT_ZH = {"underpass": "地下通道里", "bridge": "桥下", "station": "车站门口", "park": "公园里",
           "heating_vent": "暖气井旁边", "construction": "工地旁边", "market": "市场门口"}
SPOT_EN = {"underpass": "in the underpass", "bridge": "under the bridge", "station": "outside the station",
           "park": "in the park", "heating_vent": "by a heating vent", "construction": "by a construction site",
           "market": "outside the market"}
CLOSING_ZH = ("请尽快派人来看看。", "麻烦处理一下。", "")
CLOSING_EN = ("Please send someone.", "Please help.", "")
UNKNOWN_ADDRESSES = ("老地方那边", "东边那条小街", "红星三号院后门", "the usual corner", "behind the old cinema")
# Confusable characters used to misspell a Chinese place name.
MISSPELL_ZH = {"站": "战", "桥": "乔", "街": "接", "路": "露", "广": "光", "场": "厂", "江": "将", "公": "工", "园": "元",
               "道": "到", "大": "达", "中": "钟", "东": "冬", "西": "希", "南": "难", "北": "被", "哈": "蛤", "尔": "而",
               "滨": "宾", "区": "曲", "市": "是", "门": "们", "口": "扣", "心": "新", "洞": "动"}


@dataclass
class TipPlan:
    """One tip before it becomes bytes: who it concerns and how it is distorted."""

    at: datetime
    channel: str
    person: Person | None
    kind: str = "tip"  # "tip" or a malformed kind
    tip_id: str = ""
    payload: bytes = b""
    address_quality: str | None = None  # exact / alias / misspelt / unknown (address tips only)
    extra: dict[str, object] = field(default_factory=dict)

    def reported_at(self) -> datetime:
        """The time the tip itself carries: forms keep whole seconds."""
        return self.at.replace(microsecond=0)


def channel_rates(channels: dict[str, ChannelSpec], hour: int) -> dict[str, float]:
    return {name: spec.rate_by_hour[hour] for name, spec in channels.items()}


def _local_hour(at: datetime, tz: ZoneInfo) -> int:
    return at.astimezone(tz).hour


def _pick_channel(channels: dict[str, ChannelSpec], at: datetime, tz: ZoneInfo, rng: np.random.Generator,
                  avoid: set[str]) -> str:
    rates = channel_rates(channels, _local_hour(at, tz))
    names = sorted(rates)
    weights = np.array([0.0 if n in avoid else rates[n] for n in names])
    if weights.sum() <= 0:
        weights = np.array([rates[n] for n in names])
    if weights.sum() <= 0:
        weights = np.ones(len(names))
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def plan_tips(persons: list[Person], spec: ReportingSpec, channels: dict[str, ChannelSpec], start: datetime,
              end: datetime, tz: ZoneInfo, rng: np.random.Generator) -> list[TipPlan]:
    """When and by whom each (reportable) person is reported."""
    mean_total = float(np.mean([sum(channel_rates(channels, h).values()) for h in range(24)])) or 1.0
    latest = end - timedelta(minutes=20)
    plans: list[TipPlan] = []
    for person in persons:
        if person.profile == "thermal_only":
            continue
        # First report by thinning: hazard = total channel rate at that hour / mean / mean delay.
        t = person.appears_at
        max_rate = max(sum(channel_rates(channels, h).values()) for h in range(24)) / mean_total / spec.mean_delay_min
        while True:
            t += timedelta(minutes=float(rng.exponential(1.0 / max_rate)))
            rate = sum(channel_rates(channels, _local_hour(t, tz)).values()) / mean_total / spec.mean_delay_min
            if t >= latest or rng.uniform() < rate / max_rate:
                break
        if t >= latest:
            t = min(latest, person.appears_at + timedelta(minutes=float(rng.uniform(2.0, 10.0))))
        used: set[str] = set()
        channel = _pick_channel(channels, t, tz, rng, used)
        used.add(channel)
        plans.append(TipPlan(at=t, channel=channel, person=person))
        for _ in range(int(rng.poisson(spec.duplicate_mean))):
            dt = t + timedelta(minutes=float(rng.uniform(1.0, spec.duplicate_window_min)))
            if dt >= end:
                continue
            ch = _pick_channel(channels, dt, tz, rng, used)
            used.add(ch)
            plans.append(TipPlan(at=dt, channel=ch, person=person))
    total = (end - start).total_seconds() / 60.0
    for kind in MALFORMED_KINDS:
        for _ in range(spec.malformed.get(kind, 0)):
            at = start + timedelta(minutes=float(rng.uniform(5.0, total - 5.0)))
            plans.append(TipPlan(at=at, channel=_pick_channel(channels, at, tz, rng, set()), person=None, kind=kind))
    plans.sort(key=lambda p: (p.at, p.person.person_id if p.person else "", p.kind))
    return plans


class TextMaker:
    """Bilingual tip texts whose cue words give exactly the person's flags."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon(LEXICON_PATH)

    def compose(self, person: Person, english: bool, rng: np.random.Generator, place_name: str | None) -> str:
        want = set(person.flags)
        for attempt in range(8):
            text = self._draft(person, english, rng, place_name if attempt < 4 else None)
            if set(self.lexicon.flags_in(text)) == want:
                return text
        # A bare list of cues: the lexicon reads each one.
        sep = ", " if english else "，"
        parts = [self._fitting(CUES[f][1 if english else 0], person)[0] for f in person.flags if f in CUES]
        if "elderly" in want:
            parts.insert(0, ELDERLY_EN[0] if english else ELDERLY_ZH[0])
        return sep.join(parts) or (PLAIN[1][0] if english else PLAIN[0][0])

    def _fitting(self, options: tuple[str, ...], person: Person) -> tuple[str, ...]:
        """The cues a caller who sees this person can say: someone lying on the ground is not "sitting in the cold"
        nor "in a wheelchair" (said both ways, the reader rightly keeps no posture), and a man is not "beaten by her
        husband" nor a woman "talking to himself" (seed 71: a man's tips said "her", the desk rightly read two people
        and opened a second incident). All of them when none fits."""
        def fits(option: str) -> bool:
            sex, posture, _ = self.lexicon.description_in(option)
            return sex in (None, person.sex) and (not person.lying or posture in (None, "lying"))

        return tuple(o for o in options if fits(o)) or options

    def _draft(self, person: Person, english: bool, rng: np.random.Generator, place_name: str | None) -> str:
        def pick(options: tuple[str, ...]) -> str:
            options = self._fitting(options, person)
            return options[int(rng.integers(len(options)))]

        cue_flags = [f for f in person.flags if f != "elderly"]
        lang = 1 if english else 0
        cues = [pick(CUES[f][lang]) for f in cue_flags if f in CUES]
        if not cues:
            cues = [pick(PLAIN[lang])]
        elderly = "elderly" in person.flags
        # One person, one description: the subject is fixed per person, not per tip.
        who = zlib.crc32(person.person_id.encode("utf-8")) % 3
        if english:
            subject = ELDERLY_EN[who] if elderly else ("a teenager" if person.profile == "minor" else SUBJECTS_EN[who])
            where = f"near {place_name}" if place_name else SPOT_EN.get(person.key_area or "", "by the road")
            posture = " lying on the ground" if person.lying else ""
            body = f"{subject.capitalize()}{posture} {where}, " + ", ".join(cues) + "."
            closing = pick(CLOSING_EN)
            return f"{body} {closing}".strip()
        subject = ELDERLY_ZH[who] if elderly else ("一个孩子" if person.profile == "minor" else SUBJECTS_ZH[who])
        where = f"{place_name}附近" if place_name else SPOT_ZH.get(person.key_area or "", "路边")
        posture = "躺在地上" if person.lying else ""
        return f"{where}有{subject}{posture}，" + "，".join(cues) + "。" + pick(CLOSING_ZH)


def _misspell(name: str, rng: np.random.Generator) -> str:
    idx = [i for i, ch in enumerate(name) if ch in MISSPELL_ZH]
    if idx:
        i = idx[int(rng.integers(len(idx)))]
        return name[:i] + MISSPELL_ZH[name[i]] + name[i + 1 :]
    letters = [i for i in range(len(name) - 1) if name[i].isalpha() and name[i + 1].isalpha() and name[i] != name[i + 1]]
    if letters:
        i = letters[int(rng.integers(len(letters)))]
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name + "附近那个"


def render_tips(plans: list[TipPlan], spec: ReportingSpec, channels: dict[str, ChannelSpec], cm: CityMap,
                tz: ZoneInfo, seed: int, rng: np.random.Generator, texts: TextMaker) -> None:
    """Give every planned tip an id and its JSON bytes (malformed ones on purpose)."""
    min_lat, min_lon, max_lat, max_lon = cm.bounds()
    for n, plan in enumerate(plans, start=1):
        plan.tip_id = f"tip-{seed}-{n:05d}"
        local_at = plan.reported_at().astimezone(tz)
        record: dict[str, object] = {"tip_id": plan.tip_id, "channel": plan.channel, "reported_at": local_at.isoformat()}
        person = plan.person
        if person is None:
            record["text"] = "有人在路边" if rng.uniform() < 0.5 else "someone outside in the cold"
            record["lat"], record["lon"] = round((min_lat + max_lat) / 2, 6), round((min_lon + max_lon) / 2, 6)
            if plan.kind == "unknown_channel":
                record["channel"] = ("carrier_pigeon", "tiktok", "fax")[int(rng.integers(3))]
            elif plan.kind == "outside_area":
                # Well outside any Harbin district (Beijing / open sea).
                record["lat"], record["lon"] = ((39.9042, 116.4074), (30.0, 150.0))[int(rng.integers(2))]
            elif plan.kind == "missing_field":
                del record["lat"], record["lon"]
            elif plan.kind == "bad_time":
                record["reported_at"] = local_at.replace(tzinfo=None).isoformat()
            text = json.dumps(record, ensure_ascii=False, sort_keys=True)
            if plan.kind == "bad_json":
                text = text[: max(10, len(text) - 9)]
            plan.payload = text.encode("utf-8")
            continue
        ch = channels[plan.channel]
        lat, lon = person.position(plan.at)
        english = bool(rng.uniform() < spec.english_share)
        place = person.place
        if place is None:
            near, dist = cm.nearest_place(lat, lon)
            place = near if dist <= 400.0 else None
        use_address = place is not None and rng.uniform() < ch.address_share
        mention = place.name if place is not None and rng.uniform() < 0.5 else None
        if use_address and place is not None:
            roll = float(rng.uniform())
            if roll < spec.unknown_address_share:
                record["address"] = UNKNOWN_ADDRESSES[int(rng.integers(len(UNKNOWN_ADDRESSES)))]
                plan.address_quality = "unknown"
                mention = None
            elif roll < spec.unknown_address_share + spec.misspelt_address_share:
                record["address"] = _misspell(place.name, rng)
                plan.address_quality = "misspelt"
                mention = None
            elif place.aliases and rng.uniform() < 0.35:
                record["address"] = place.aliases[int(rng.integers(len(place.aliases)))]
                plan.address_quality = "alias"
            else:
                record["address"] = place.name
                plan.address_quality = "exact"
        else:
            sigma = ch.position_noise_m
            east, north = rng.normal(0.0, sigma, size=2) if sigma > 0 else (0.0, 0.0)
            nlat, nlon = offset_latlon(lat, lon, float(east), float(north))
            record["lat"], record["lon"] = round(nlat, 6), round(nlon, 6)
            plan.extra["noise_m"] = round(math.hypot(float(east), float(north)), 1)
            if sigma > 0:
                # What a phone reports. 2 sigma per axis is the 86 % radius (the offset's length is Rayleigh:
                # 1 - e^-2), between a phone's 68 % (1.5 sigma) and a 95 % one (2.45 sigma): about 1 fix in 7
                # lies outside its stated accuracy (seed 167: a hotline fix 4.8 sigma, 574 m, off).
                record["accuracy_m"] = round(2.0 * sigma)
        record["text"] = texts.compose(person, english, rng, mention)
        if rng.uniform() < spec.persons_field_share:
            record["persons"] = 1
        if zlib.crc32(plan.tip_id.encode("utf-8")) % 2 == 0:
            record["sex"] = person.sex  # half the callers say whether it is a man or a woman
        if rng.uniform() >= spec.missing_flags_share:
            record["flags"] = list(person.flags)
        plan.extra["english"] = english
        plan.payload = json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")
