"""Partner notices: CAP 1.2 alerts per partner named by `notify`, valid against the OASIS schema."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from core.errors import CityDataError
from core.records import DispatchEvent
from geo.city import load_city
from geo.partners import load_partners
from rules.context import Context
from rules.partners import CAP_NS, NoticeWriter, Thread
from tests.capschema import cap_errors

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 12, 20, 23, 5, 30, 123456, tzinfo=TZ)
NS = {"cap": CAP_NS}


def event(revision: int = 1, **kw: Any) -> DispatchEvent:
    values: dict[str, Any] = {
        "event_id": f"inc-abc-r{revision}", "kind": "dispatch", "incident_id": "inc-abc", "revision": revision,
        "priority": "P1", "category": "medical", "rules": ("category:medical", "night"), "zone_id": "Z-daoli-1",
        "key_area": None, "lat": 45.7712, "lon": 126.6123, "sources": ("tip-1",), "team_id": "T-daoli-2",
        "ack_deadline": AT + timedelta(minutes=5), "nearest_help_point": None, "notify": ("health", "police"), "at": AT,
        "district": "daoli", "flags": ("mental",), "channels": ("hotline",), "status": "assigned", "persons": 1,
        "text": "报警人 13812345678 说有人胡言乱语",
    }
    values.update(kw)
    return DispatchEvent(**values)


@pytest.fixture
def writer(ctx: Context) -> NoticeWriter:
    assert ctx.city.partners is not None
    names = {t.team_id: t.name for t in ctx.city.teams}
    return NoticeWriter(ctx.city.partners, TZ, exercise=False, team_name=names.get)


def xml(cap: str) -> Any:
    return etree.fromstring(cap.encode())


def test_each_named_partner_gets_a_valid_alert(writer: NoticeWriter) -> None:
    notices, threads = writer.handle(event(), {})
    assert [n.partner for n in notices] == ["health", "police"]
    for notice in notices:
        assert cap_errors(notice.cap) == [], notice.cap
        doc = xml(notice.cap)
        assert doc.findtext("cap:msgType", namespaces=NS) == "Alert"
        assert doc.findtext("cap:scope", namespaces=NS) == "Restricted"
        assert doc.findtext("cap:status", namespaces=NS) == "Actual"
        assert doc.findtext("cap:sent", namespaces=NS) == "2026-12-20T23:05:30+08:00"
        assert doc.findtext("cap:identifier", namespaces=NS) == notice.notice_id == f"patrol-inc-abc-r1-{notice.partner}"
        assert doc.findtext("cap:incidents", namespaces=NS) == "inc-abc"
        infos = doc.findall("cap:info", NS)
        assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["zh-CN", "en-US"]
        en = infos[1]
        assert en.findtext("cap:urgency", namespaces=NS) == "Immediate" and en.findtext("cap:severity", namespaces=NS) == "Extreme"
        assert en.findtext("cap:area/cap:circle", namespaces=NS) == "45.771200,126.612300 0.15"
        assert "T-daoli-2" in en.findtext("cap:headline", namespaces=NS)
        assert "13812345678" not in notice.cap, "free text (a reporter's number) never leaves"
    police = xml(notices[1].cap)
    assert police.findtext("cap:addresses", namespaces=NS) == "110-harbin-daoli", "the district's own police unit"
    ask = police.findall("cap:info", NS)[1].findtext("cap:instruction", namespaces=NS)
    assert "mental" in ask, "the ask follows the flag that named the partner"
    assert set(threads) == {"health", "police"}


def test_same_events_give_byte_identical_notices(writer: NoticeWriter) -> None:
    first, _ = writer.handle(event(), {})
    again, _ = writer.handle(event(), {})
    assert [n.to_json() for n in first] == [n.to_json() for n in again]


def test_update_on_change_only_and_cancel_at_the_end(writer: NoticeWriter) -> None:
    _, threads = writer.handle(event(), {})
    same, threads = writer.handle(event(2, kind="update", reason="corroborated"), threads)
    assert same == [], "nothing a partner acts on changed"
    changed, threads = writer.handle(event(3, kind="update", team_id="T-daoli-1"), threads)
    assert [(n.partner, n.msg_type) for n in changed] == [("health", "Update"), ("police", "Update")]
    refs = xml(changed[0].cap).findtext("cap:references", namespaces=NS)
    assert refs == "rescue-dispatch@harbin.example,patrol-inc-abc-r1-health,2026-12-20T23:05:30+08:00"
    for n in changed:
        assert cap_errors(n.cap) == []
    end, threads = writer.handle(event(4, kind="resolved", status="resolved", team_id=None, reason="resolved by T: taken_to_hospital"), threads)
    assert [(n.partner, n.msg_type) for n in end] == [("health", "Cancel"), ("police", "Cancel")]
    assert threads == {}
    for n in end:
        assert cap_errors(n.cap) == []
        assert len(xml(n.cap).findtext("cap:references", namespaces=NS).split(" ")) == 2


def test_partner_no_longer_named_is_cancelled_and_unnamed_partners_hear_nothing(writer: NoticeWriter) -> None:
    _, threads = writer.handle(event(), {})
    out, threads = writer.handle(event(2, kind="update", notify=("health",), flags=("ill",)), threads)
    assert [(n.partner, n.msg_type) for n in out] == [("health", "Update"), ("police", "Cancel")]
    none, _ = writer.handle(event(notify=()), {})
    assert none == []


def test_priority_filter_and_queued_incident(writer: NoticeWriter) -> None:
    low, _ = writer.handle(event(priority="P3", notify=("health",)), {})
    assert low == [], "health asks for P2 and above only"
    queued, _ = writer.handle(event(kind="queued", team_id=None, status="queued"), {})
    assert len(queued) == 2 and "queued" in xml(queued[1].cap).findall("cap:info", NS)[1].findtext("cap:headline", namespaces=NS)


def test_exercise_status_in_drills(ctx: Context) -> None:
    assert ctx.city.partners is not None
    notices, _ = NoticeWriter(ctx.city.partners, TZ, exercise=True).handle(event(), {})
    for n in notices:
        assert n.status == "Exercise" and cap_errors(n.cap) == []
        assert xml(n.cap).findtext("cap:note", namespaces=NS).startswith("演练")


def test_the_schema_check_can_fail(writer: NoticeWriter) -> None:
    notice = writer.handle(event(), {})[0][0]
    broken = notice.cap.replace("<scope>Restricted</scope>", "<scope>Secret</scope>")
    assert cap_errors(broken)
    reordered = notice.cap.replace("<status>Actual</status><msgType>Alert</msgType>", "<msgType>Alert</msgType><status>Actual</status>")
    assert reordered != notice.cap and cap_errors(reordered)


def test_thread_round_trip() -> None:
    thread = Thread(("a,b,c",), "P1|x")
    assert Thread.from_dict(thread.to_dict()) == thread


def write_partners(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "partners.toml"
    path.write_text('version = 1\nsender = "s@x"\nsender_name = "中心"\nsender_name_en = "centre"\ncontact = "12349"\n' + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ('[partners.army]\nname = "x"\n', 6, "unknown partner"),
        ('[partners.police]\nname = "x"\nname_en = "x"\naddress = "a"\nasks.minor = { zh = "a", en = "b" }\n', 6, "missing the 'default' ask"),
        ('[partners.police]\nname = "x"\nname_en = "x"\naddress = "a"\nstages = ["new", "later"]\nasks.default = { zh = "a", en = "b" }\n', 10, "unknown value 'later'"),
        ('[partners.police]\nname = "x"\nname_en = "x"\naddress = "a"\nasks.default = { zh = "a", en = "b" }\n[partners.police.districts]\nmoon = "m"\n', 12, "unknown district"),
        ('[partners.police]\nname = "x"\nname_en = "x"\naddres = "a"\n', 9, "unknown key"),
        ('[partners.police]\nname = "x"\nname_en = "x"\naddress = "two words"\nasks.default = { zh = "a", en = "b" }\n', 9, "no spaces"),
    ],
)
def test_partner_file_errors_name_file_and_line(tmp_path: Path, body: str, line: int, reason: str) -> None:
    path = write_partners(tmp_path, body)
    with pytest.raises(CityDataError) as err:
        load_partners(path, {"daoli"})
    assert err.value.path == str(path) and err.value.line == line and reason in str(err.value)


def test_city_names_its_partners_file(tmp_path: Path, ctx: Context) -> None:
    source = Path(__file__).resolve().parents[3] / "data" / "cities" / "harbin"
    for f in source.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "partners.toml").write_text("version = 1\nsender = ?\ncontact = 1\n", encoding="utf-8")
    with pytest.raises(CityDataError) as err:
        load_city(tmp_path)
    assert "partners.toml" in str(err.value) and err.value.line == 2
    assert ctx.city.partners is not None and set(ctx.city.partners.partners) == {"police", "health", "city_management", "mental_health"}
    assert dataclasses.replace(ctx.city, partners=None).partners is None
