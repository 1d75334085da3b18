"""Everything the rules read besides the records: policy, lexicon, city.

Loaded once at start from the settings, validated there, shared read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from core.settings import Settings
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
        return Gazetteer(self.city.places, self.policy.address_min_similarity)


def load_context(policy: Path, lexicon: Path, city: Path) -> Context:
    ctx = Context(policy=load_policy(policy), lexicon=load_lexicon(lexicon), city=load_city(city))
    _ = ctx.index, ctx.gazetteer  # build indexes at start, not on the first tip
    return ctx


def context_from_settings(settings: Settings) -> Context:
    return load_context(settings.policy_file, settings.lexicon_file, settings.city_dir)
