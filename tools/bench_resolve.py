"""`python -m tools.bench_resolve`: CPU per address of `Gazetteer.resolve` on a city's own names.

`tools.bench_rules` places most tips by their coordinates, so it hardly
calls the gazetteer; this times it alone: every name and alias the city
lists, bare, after the province and one of its districts and inside a
sentence, each run with new text (a house number) so no cache of an earlier
run helps. The count of addresses found shows a change kept behaviour.
"""

from __future__ import annotations

import argparse
import time

from core.settings import DATA_DIR
from geo.city import load_city
from geo.gazetteer import Gazetteer


def addresses(names: list[str], district: str) -> list[str]:
    """Each name bare, after a prefix naming the province and one of the city's districts, and inside a sentence."""
    return [address for name in names for address in (name, f"黑龙江省{district}{name}附近", f"在{name}对面的小区门口有人躺着")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--city", default="harbin")
    parser.add_argument("--repeat", type=int, default=7, help="runs; the fastest counts")
    args = parser.parse_args()
    city = load_city(DATA_DIR / "cities" / args.city)
    gazetteer = Gazetteer(city.places, area_code=city.area_code)
    batch = addresses([alias for place in city.places for alias in (place.name, *place.aliases)], city.districts[0].name)
    found = sum(gazetteer.resolve(address) is not None for address in batch)
    runs: list[float] = []
    for run in range(args.repeat):
        texts = [f"{address}{run}号" for address in batch]
        started = time.process_time()
        for text in texts:
            gazetteer.resolve(text)
        runs.append(time.process_time() - started)
    print(f"resolve ({args.city}, {len(batch)} addresses, {found} found): {min(runs) / len(batch) * 1e6:.0f} us per address "
          f"(fastest of {args.repeat}, process time)")


if __name__ == "__main__":
    main()
