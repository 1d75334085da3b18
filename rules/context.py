"""Everything the rules read besides the records: policy, lexicon, city; the centres of a many-city deployment.

Loaded once at start from the settings, validated there, shared read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from core.errors import RecordError
from core.records import DispatchEvent, TeamTask
from core.settings import Settings
from geo.centres import check_distinct_ids, route
from geo.city import City, load_city
from geo.gazetteer import Gazetteer
from geo.zones import CityIndex
from rules.lexicon import Lexicon, load_lexicon
from rules.policy import Policy, load_policy


@dataclass(frozen=True)
class Context:
    policy: Policy
    lexicon: Lexicon
    city: City

    @cached_property
    def index(self) -> CityIndex:
        return CityIndex(self.city)

    @cached_property
    def gazetteer(self) -> Gazetteer:
        return Gazetteer(self.city.places, self.policy.address_min_similarity, self.city.area_code)


def load_context(policy: Path, lexicon: Path, city: Path) -> Context:
    ctx = Context(policy=load_policy(policy), lexicon=load_lexicon(lexicon), city=load_city(city))
    _ = ctx.index, ctx.gazetteer  # build indexes at start, not on the first tip
    return ctx


def context_from_settings(settings: Settings) -> Context:
    return load_context(settings.policy_file, settings.lexicon_file, settings.city_dir)


@dataclass(frozen=True)
class Province:
    """The deployment's dispatch centres (PATROL_CITIES), each its city's `Context`, in order.

    Records are routed to a centre before they are read: a tip is validated
    against its own city, and each centre's desk decides alone.
    """

    centres: dict[str, Context]

    @property
    def first(self) -> Context:
        """The first centre's context: policy and lexicon are the same in every centre."""
        return next(iter(self.centres.values()))

    @cached_property
    def _cities(self) -> dict[str, City]:
        return {c: ctx.city for c, ctx in self.centres.items()}

    @cached_property
    def _indexes(self) -> dict[str, CityIndex]:
        return {c: ctx.index for c, ctx in self.centres.items()}

    @cached_property
    def _gazetteers(self) -> dict[str, Gazetteer]:
        return {c: ctx.gazetteer for c, ctx in self.centres.items()}

    def route(self, obj: Mapping[str, Any], key: str | None = None, *, by_team: bool = True) -> str | None:
        """The centre of a raw record (`geo.centres.route`), or None; `by_team=False` ignores a `team_id` (reports)."""
        return route(obj, self._cities, self._indexes, self._gazetteers, key, self.first.policy.max_text_bytes, by_team=by_team)

    def centre_of(self, record: DispatchEvent | TeamTask) -> str | None:
        """The centre whose desk wrote a dispatch event or a task: the one it names.

        The position decides only for a record that names no deployed centre
        (written before the desk named it): an incident's position may have
        moved across a border since its first report, its desk stays.
        """
        if record.centre in self.centres:
            return record.centre
        return self.route({"lat": record.lat, "lon": record.lon})

    def context_for(self, obj: Mapping[str, Any], key: str | None = None) -> tuple[str, Context]:
        """The centre of a raw report (a tip, a detection) and its context.

        A report is placed by the person's position, never by a `team_id` it
        carries (`route(by_team=False)`). A record no centre holds is read against the first city, which
        refuses it exactly as a one-city deployment does (outside the
        service area, unknown address); an unknown explicit `centre` is refused.
        """
        centre = self.route(obj, key, by_team=False)
        if centre is not None:
            return centre, self.centres[centre]
        if obj.get("centre") is not None:
            raise RecordError(f"centre: unknown centre {str(obj.get('centre'))!r:.40} (deployed: {', '.join(self.centres)})", kind="unknown_centre")
        return next(iter(self.centres)), self.first


def load_province(policy: Path, lexicon: Path, cities: Mapping[str, Path]) -> Province:
    shared_policy, shared_lexicon = load_policy(policy), load_lexicon(lexicon)
    loaded = {centre: (folder, load_city(folder)) for centre, folder in cities.items()}
    check_distinct_ids(loaded)
    centres = {}
    for centre, (_, city) in loaded.items():
        ctx = Context(policy=shared_policy, lexicon=shared_lexicon, city=city)
        _ = ctx.index, ctx.gazetteer
        centres[centre] = ctx
    return Province(centres)


def province_from_settings(settings: Settings) -> Province:
    return load_province(settings.policy_file, settings.lexicon_file, settings.centre_dirs)
