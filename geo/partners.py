"""The city's partners as data: who receives which notices, at which address.

`notify` names a partner (police 110, health 120, city management 城管); this
file (`partners.toml` in the city folder, named by `city.json`) says how to
reach it, which incidents it wants to hear about and what the centre asks of
it, in Chinese and English. A bad edit stops the start with file, line and
reason (`CityDataError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import CityDataError
from core.records import CATEGORIES, FLAGS, PARTNERS, PRIORITIES
from core.tomlconfig import TomlReader, parse_toml, read_text
from core.validate import MAX_LABEL_CHARS, id_problem

# Notice stages: a new incident for the partner, a change, the end of it.
STAGES: tuple[str, ...] = ("new", "update", "end")
_PARTNER_KEYS = ("name", "name_en", "address", "stages", "min_priority", "asks", "districts")
_TOP_KEYS = ("version", "sender", "sender_name", "sender_name_en", "contact", "partners")
# An ask rides in every notice to its partner: a sentence or two. 600 000 characters made notices over the 1 MB a
# message may hold (core.topics.MAX_MESSAGE_BYTES), which the notify agent cannot send.
MAX_ASK_CHARS = 1000


@dataclass(frozen=True)
class Ask:
    """What the centre asks of a partner, in both languages."""

    zh: str
    en: str


@dataclass(frozen=True)
class Partner:
    """One partner: how to reach it and which notices it receives."""

    id: str
    name: str
    name_en: str
    address: str
    stages: tuple[str, ...]
    min_priority: str
    asks: Mapping[str, Ask]  # by flag, category or "default"
    districts: Mapping[str, str]  # district id -> the partner's local address

    def address_for(self, district: str) -> str:
        return self.districts.get(district, self.address)

    def wants(self, stage: str, priority: str) -> bool:
        """A notice at this stage about an incident of this priority."""
        urgent_enough = priority in PRIORITIES and PRIORITIES.index(priority) <= PRIORITIES.index(self.min_priority)
        return stage in self.stages and (urgent_enough or stage != "new")

    def ask(self, flags: tuple[str, ...], category: str) -> Ask:
        """The first flag the partner has an ask for, else the category's, else the default."""
        for key in (*flags, category):
            if key in self.asks:
                return self.asks[key]
        return self.asks["default"]


@dataclass(frozen=True)
class Partners:
    """The sender's identity on notices and every partner the city has."""

    sender: str
    sender_name: str
    sender_name_en: str
    contact: str
    partners: Mapping[str, Partner]

    def get(self, partner_id: str) -> Partner | None:
        return self.partners.get(partner_id)


def load_partners(path: Path, districts: set[str]) -> Partners:
    """Load and validate a partners file; raises CityDataError with file and line."""
    text = read_text(path, "partners file", CityDataError)
    data = parse_toml(text, str(path), CityDataError)
    r = TomlReader(str(path), text, CityDataError)
    r.unknown_keys(data, [], _TOP_KEYS)
    if r.get(data, ["version"], int) != 1:
        raise r.fail(["version"], "only version 1 is known")
    table = r.get(data, ["partners"], dict)
    partners: dict[str, Partner] = {}
    for partner_id in table:
        if partner_id not in PARTNERS:
            raise r.fail(["partners", partner_id], f"unknown partner (known: {', '.join(PARTNERS)})")
        partners[partner_id] = _partner(r, data, partner_id, districts)
    return Partners(
        sender=_token(r, data, ["sender"]),
        sender_name=_text(r, data, ["sender_name"]),
        sender_name_en=_text(r, data, ["sender_name_en"]),
        contact=_text(r, data, ["contact"]),
        partners=partners,
    )


def _text(r: TomlReader, data: Mapping[str, Any], keypath: list[str | int], limit: int = MAX_LABEL_CHARS) -> str:
    """Text shown as written on notices and screens: printable (no right-to-left override) and short, as a city's names."""
    value = r.get(data, keypath, str)
    if not value.strip():
        raise r.fail(keypath, "must not be empty")
    if len(value) > limit or not value.isprintable():
        raise r.fail(keypath, f"must be printable text of at most {limit} characters")
    return str(value.strip())


def _token(r: TomlReader, data: Mapping[str, Any], keypath: list[str | int]) -> str:
    """An identifier CAP puts in a space- or comma-separated list (sender, addresses)."""
    raw = r.get(data, keypath, str)
    if problem := id_problem(raw):
        raise r.fail(keypath, problem)
    value = _text(r, data, keypath, limit=len(raw))
    if any(c.isspace() or c in ",<&" for c in value):
        raise r.fail(keypath, f"{value!r}: no spaces, commas, '<' or '&' (CAP lists are space-separated)")
    return value


def _partner(r: TomlReader, data: Mapping[str, Any], partner_id: str, districts: set[str]) -> Partner:
    base: list[str | int] = ["partners", partner_id]
    r.unknown_keys(data, base, _PARTNER_KEYS)
    stages = r.names(data, [*base, "stages"], STAGES, STAGES)
    asks_table = r.get(data, [*base, "asks"], dict)
    asks: dict[str, Ask] = {}
    for key in asks_table:
        if key != "default" and key not in FLAGS and key not in CATEGORIES:
            raise r.fail([*base, "asks", key], "ask for an unknown flag or category (or 'default')")
        r.unknown_keys(data, [*base, "asks", key], ("zh", "en"))
        asks[key] = Ask(zh=_text(r, data, [*base, "asks", key, "zh"], MAX_ASK_CHARS),
                        en=_text(r, data, [*base, "asks", key, "en"], MAX_ASK_CHARS))
    if "default" not in asks:
        raise r.fail([*base, "asks"], "missing the 'default' ask")
    local: dict[str, str] = {}
    for district in r.get(data, [*base, "districts"], dict, {}):
        if district not in districts:
            raise r.fail([*base, "districts", district], f"unknown district (known: {', '.join(sorted(districts))})")
        local[district] = _token(r, data, [*base, "districts", district])
    return Partner(
        id=partner_id,
        name=_text(r, data, [*base, "name"]),
        name_en=_text(r, data, [*base, "name_en"]),
        address=_token(r, data, [*base, "address"]),
        stages=stages,
        min_priority=r.choice(data, [*base, "min_priority"], PRIORITIES, "P4"),
        asks=asks,
        districts=local,
    )
