"""The reporters', thermal and ledger-feeder agents use the city of each record, not the first city of the deployment."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from agents.reporters import hotlines, take
from agents.thermal import tracker_key
from core import topics as names
from core.records import ReporterContact
from core.settings import DATA_DIR
from ledger.centres import LedgerCentres
from rules.context import Province, load_province
from rules.reporters import ReplyWriter, TipReplies
from tests.unit.console.test_state import event
from tests.unit.rules.test_partners import event as partner_event


def _province(tmp_path: Path, qiqihar_hotline: str | None = None) -> Province:
    qiqihar = tmp_path / "qiqihar"
    shutil.copytree(DATA_DIR / "cities" / "qiqihar", qiqihar)
    if qiqihar_hotline is not None:
        partners = qiqihar / "partners.toml"
        partners.write_text(partners.read_text(encoding="utf-8").replace('contact = "12349"', f'contact = "{qiqihar_hotline}"'), encoding="utf-8")
    return load_province(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", {"harbin": DATA_DIR / "cities" / "harbin", "qiqihar": qiqihar})


def test_a_reply_names_the_hotline_of_the_incidents_city(tmp_path: Path) -> None:
    hotline = hotlines(_province(tmp_path, "0452-12349"))
    assert hotline(event("inc-h")) == "12349"  # Harbin (45.77, 126.62)
    assert hotline(replace(event("inc-q"), lat=47.3485, lon=123.9455)) == "0452-12349"  # Qiqihar's Longsha
    assert hotline(replace(event("inc-x"), lat=30.0, lon=100.0)) == "12349"  # no city holds it: the first city's
    # the centre the desk names wins over a position that moved across the border
    assert hotline(replace(event("inc-q"), centre="qiqihar")) == "0452-12349"
    assert hotline(replace(event("inc-h"), lat=47.3485, lon=123.9455, centre="harbin")) == "12349"


def test_thermal_trackers_are_kept_per_centre_and_camera(tmp_path: Path) -> None:
    province = _province(tmp_path)
    frame = {"camera_id": "drone-1", "kind": "drone", "lat": 47.3485, "lon": 123.9455}
    assert tracker_key(province, json.dumps(frame).encode(), "drone-1") == "qiqihar/drone-1"
    assert tracker_key(province, json.dumps({**frame, "lat": 45.77, "lon": 126.62}).encode(), "drone-1") == "harbin/drone-1"
    assert tracker_key(province, json.dumps({**frame, "centre": "qiqihar", "lat": None}).encode(), "drone-1") == "qiqihar/drone-1"
    assert tracker_key(province, json.dumps({"camera_id": "fixed-1", "kind": "fixed"}).encode(), "fixed-1") == "fixed-1"
    one = load_province(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", {"harbin": DATA_DIR / "cities" / "harbin"})
    assert tracker_key(one, json.dumps(frame).encode(), "drone-1") == "drone-1", "one city: the bare camera id, as before"


def test_the_ledger_feeder_reads_hints_in_the_time_zone_of_the_events_centre(tmp_path: Path) -> None:
    qiqihar = tmp_path / "qiqihar"
    shutil.copytree(DATA_DIR / "cities" / "qiqihar", qiqihar)
    meta = json.loads((qiqihar / "city.json").read_text(encoding="utf-8"))
    (qiqihar / "city.json").write_text(json.dumps({**meta, "timezone": "Asia/Tokyo"}), encoding="utf-8")  # made up, to tell them apart
    province = load_province(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", {"harbin": DATA_DIR / "cities" / "harbin", "qiqihar": qiqihar})
    zone = LedgerCentres({centre: ctx.city for centre, ctx in province.centres.items()}, 200.0).zone  # what the feeder reads them with
    assert str(zone(replace(event("inc-q"), centre="qiqihar"))) == "Asia/Tokyo", "the centre it names, wherever it lies"
    assert str(zone(replace(event("inc-q"), lat=47.3485, lon=123.9455))) == "Asia/Tokyo"  # older event: by position
    assert str(zone(event("inc-h"))) == "Asia/Shanghai"
    assert str(zone(replace(event("inc-x"), lat=30.0, lon=100.0))) == "Asia/Shanghai"  # no city holds it: the first city's


def test_two_cities_tips_sharing_an_id_each_answer_their_own_reporter(tmp_path: Path) -> None:
    """Tip ids are each city's own (`12345-0001` from two hotlines). Kept under the tip id alone, the second city's
    contact was dropped (the first contact of an id stays) and its incident's replies went to the first city's
    reporter: one caller told how another person's call ended, the other told nothing. An event read before its
    contact is answered when the contact comes, still to its own city's reporter."""
    province = _province(tmp_path)
    writer = ReplyWriter(hotline=hotlines(province), exercise=False)
    table: dict[str, Any] = {}
    states: dict[str, TipReplies] = {}
    phones = {"harbin": "tel:+8613812345678", "qiqihar": "tel:+8613912345679"}
    at = partner_event().at
    events = {"harbin": partner_event(1, incident_id="inc-h", event_id="inc-h-r1", sources=("12345-0001",), contact_sources=("12345-0001",), centre="harbin"),
              "qiqihar": partner_event(1, incident_id="inc-q", event_id="inc-q-r1", sources=("12345-0001",), contact_sources=("12345-0001",),
                                       centre="qiqihar", lat=47.3485, lon=123.9455)}

    def contact(centre: str) -> bytes:
        return ReporterContact(tip_id="12345-0001", contact=phones[centre], masked="tel:+86138****", via="sms", at=at, centre=centre).to_json()

    sent = take(writer, province, names.REPORTER_CONTACTS, contact("harbin"), states, table)
    sent += take(writer, province, names.DISPATCH, events["harbin"].to_json(), states, table)
    sent += take(writer, province, names.DISPATCH, events["qiqihar"].to_json(), states, table)  # before its contact
    sent += take(writer, province, names.REPORTER_CONTACTS, contact("qiqihar"), states, table)
    assert sorted((f.incident_id, f.to) for _, _, f in sent) == [("inc-h", phones["harbin"]), ("inc-q", phones["qiqihar"])]
