"""The policy file: shipped defaults load, and every mistake names file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import PolicyError
from core.settings import DATA_DIR
from rules.policy import load_policy, parse_policy

POLICY = DATA_DIR / "policy.toml"


def test_shipped_policy_matches_domain_defaults() -> None:
    policy = load_policy(POLICY)
    assert [c.name for c in policy.categories] == [
        "medical",
        "escort_station",
        "rescue_first",
        "supplies_followup",
        "basic_support",
        "guidance",
    ]
    assert policy.ack_min == {"P1": 5, "P2": 15, "P3": 30, "P4": 60}
    assert policy.correlation_radius_m == 150 and policy.correlation_window_min == 20
    assert [lvl.name for lvl in policy.cold_wave_levels] == ["red", "orange", "yellow", "blue"]
    orange = policy.level("orange")
    assert orange is not None and orange.drop_c == 12 and orange.min_at_or_below_c == 0 and orange.floor == "P2"
    assert policy.thermal.lying_still_min == 10 and policy.thermal.lying_still_priority == "P2"
    assert policy.followup_after_h == 12 and orange.followup_after_h == 3
    d = policy.dispatching
    assert (d.eta.road_factor, d.eta.vehicle_kmh, d.eta.foot_kmh, d.eta.snow_factor) == (1.4, 25, 4, 0.5)
    assert d.diversion.enabled and d.diversion.for_priorities == ("P1",) and d.diversion.from_priorities == ("P3", "P4")
    assert (d.timers.en_route_margin_min, d.timers.on_scene_max_min) == (10, 60) and d.candidates_shown == 2
    assert policy.flag_rules["mental"].support == ("police",) and "police" not in policy.flag_rules["mental"].needs
    assert d.destinations["medical"].emergency and d.destinations["escort_station"].serves == "minors"
    assert "taken_to_station" not in policy.followup_outcomes and "refused_supplies_given" in policy.followup_outcomes
    assert policy.outcomes == ("taken_to_hospital", "taken_to_station", "returned_home", "guided_to_help_point", "supplies_given",
                               "refused_supplies_given", "refused", "not_found", "false_alarm")
    assert set(policy.followup_outcomes) <= set(policy.outcomes)
    assert policy.closed_retention_h == 24 and policy.team_area_margin_km == 20 and not policy.roster_teams_only
    assert policy.unrostered_capabilities == ("medical", "police", "social_work", "vehicle")
    assert (policy.reply_keep_after_end_h, policy.reply_keep_unanswered_h) == (36, 168)


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = POLICY.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "policy.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "needle", "line_text"),
    [
        ('priority = "P2"\naction = "rescue', 'priority = "P7"\naction = "rescue', "categories[2].priority", 'priority = "P7"'),
        ("radius_m = 150.0", 'radius_m = "far"', "correlation.radius_m", "radius_m"),
        ("P1 = 5,", "P1 = -5,", "deadlines.ack_min.P1", "ack_min"),
        ('start = "22:00"', 'start = "late"', "modifiers.night.start", 'start = "late"'),
        ('flag = "elderly"', 'flag = "old"', "modifiers.elderly.flag", 'flag = "old"'),
        ('covered_by = []', 'covered_by = ["escort"]', "modifiers.elderly.covered_by", "covered_by"),
        ("version = 1", "version = ", "not valid TOML", "version"),
        ("road_factor = 1.4", "road_factor = 0.5", "dispatch.eta.road_factor", "road_factor"),
        ('for_priorities = ["P1"]', 'for_priorities = ["P9"]', "dispatch.diversion.for_priorities", "for_priorities"),
        ('from_priorities = ["P3", "P4"]', 'from_priorities = ["P1", "P4"]', "dispatch.diversion.from_priorities", "from_priorities"),
        ("on_scene_max_min = 60.0", "on_scene_max_min = 0", "dispatch.unit_timers.on_scene_max_min", "on_scene_max_min"),
        ('kinds = ["hospital"]', 'kinds = ["spa"]', "dispatch.destinations.medical.kinds", 'kinds = ["spa"]'),
        ('category_order = ["medical", ', 'category_order = [', "dispatch.category_order", "category_order"),
        ('support = ["police"]', 'support = ["pilot"]', "flag_rules.mental.support", "support"),
        ('describe = ["sex"', 'describe = ["hair"', "correlation.describe", "describe"),
        ("closed_retention_h = 24", "closed_retention_h = 6", "state.closed_retention_h", "closed_retention_h"),
        ("closed_retention_h = 24", 'closed_retention_h = "long"', "state.closed_retention_h", "closed_retention_h"),
        # The reply agent's retention: its stale horizon must reach past what the desk still takes, and a tip never
        # dispatched is kept longer than one whose incident ended.
        ("keep_after_end_h = 36", "keep_after_end_h = 24", "replies.keep_after_end_h: must be at least", "keep_after_end_h"),
        ("keep_after_end_h = 36", 'keep_after_end_h = "long"', "replies.keep_after_end_h", "keep_after_end_h"),
        ("keep_unanswered_h = 168", "keep_unanswered_h = 36", "replies.keep_unanswered_h: must be more than", "keep_unanswered_h"),
        ("keep_unanswered_h = 168", "keep_unanswered_h = 1e9", "replies.keep_unanswered_h: must be at most", "keep_unanswered_h"),
        ("keep_unanswered_h = 168", "keep_unanswered = 168", "replies.keep_unanswered: unknown key", "keep_unanswered"),
        ("team_area_margin_km = 20.0", "team_area_margin_km = -1", "intake.team_area_margin_km", "team_area_margin_km"),
        ("roster_teams_only = false", 'roster_teams_only = "yes"', "intake.roster_teams_only", "roster_teams_only"),
        ('unrostered_capabilities = ["medical"', 'unrostered_capabilities = ["medic"', "intake.unrostered_capabilities: unknown "
         "value 'medic'", "unrostered_capabilities"),
        # Absurd durations: 1e300 minutes overflowed every deadline computed from them (an OverflowError per record);
        # a cold-wave level's follow-up hours took any float, negative too.
        ("P1 = 5,", "P1 = 1e300,", "deadlines.ack_min.P1: must be at most", "ack_min"),
        ("followup_after_h = 3\n", "followup_after_h = -3\n", "cold_wave.levels.orange.followup_after_h: must be at least 0", "followup_after_h = -3"),
        ("followup_after_h = 3\n", "followup_after_h = 1e9\n", "cold_wave.levels.orange.followup_after_h: must be at most", "followup_after_h = 1e9"),
        ("lying_still_min = 10", "lying_still_min = 1e300", "thermal.lying_still_min: must be at most", "lying_still_min"),
        # Whole numbers: a raise of 2.5 levels was read as 2
        ("raise = 1", "raise = 2.5", "modifiers.night.raise: must be a whole number", "raise = 2.5"),
        ("raise = 1", "raise = 7", "modifiers.night.raise: must be at most 3", "raise = 7"),
        ("max_persons = 50", "max_persons = 1.5", "intake.max_persons: must be a whole number", "max_persons"),
        # Misspelt keys and tables: the default stayed in force without a word
        ("max_ahead_min = 60", "max_ahead_min = 60\nmax_ahed_min = 5", "deadlines.max_ahed_min: unknown key", "max_ahed_min"),
        ('priority = "P2"\naction = "rescue', 'priority = "P2"\nprioirty = "P1"\naction = "rescue', "categories[2].prioirty: unknown key",
         "prioirty"),
        ("[flag_rules.mental]", "[flag_rules.mental]\nneeds_too = [\"vehicle\"]", "flag_rules.mental.needs_too: unknown key", "needs_too"),
        ("[intake]", "[intakes]\nmax_persons = 3\n\n[intake]", "intakes: unknown key", "[intakes]"),
        # Outcome codes: the desk refuses a code its policy does not list, so a follow-up outcome must be one of them
        # (a misspelt one never scheduled a visit), and every code must be one a team can send.
        ('followup_outcomes = ["refused", ', 'followup_outcomes = ["refused_supplies", ', "dispatch.followup_outcomes: unknown value 'refused_supplies'",
         "followup_outcomes"),
        ('outcomes = ["taken_to_hospital", ', 'outcomes = ["Taken to hospital", ', "dispatch.outcomes: 'Taken to hospital' is not a lower_snake",
         "outcomes = ["),
        ('outcomes = ["taken_to_hospital", ', 'outcomes = ["refused", ', "dispatch.outcomes: 'refused' listed twice", "outcomes = ["),
        ('outcomes = ["taken_to_hospital", ', 'outcomes = [5, ', "dispatch.outcomes: 5 is not a lower_snake", "outcomes = ["),
        ('outcomes = ["taken_to_hospital", ', 'outcomez = ["taken_to_hospital", ', "dispatch.outcomes: missing", "[dispatch]"),
        # A destination's group is one the city's places serve: "minor" (the flag) never matched the minors' centre's
        # "minors", and a child went to the general rescue station without a word.
        ('serves = "minors" ', 'serves = "minor" ', "dispatch.destinations.escort_station.serves: unknown group 'minor'", 'serves = "minor"'),
        ('serves_flag = "minor"\n', "", "dispatch.destinations.escort_station.serves: needs serves_flag", 'serves = "minors"'),
        # Accepted before, each silently changed every night's decisions: a category with no flags before the last took
        # every tip (every person "medical"); a radius of 1e9 m made the whole city one incident, 0 m or 0 minutes never
        # joined two callers; a night from 22:00 to 22:00 never raised anything; a text bound of 2 MB let a tip make a
        # dispatch event no broker takes (the desk agent died on it at every restart).
        ('flags = ["unresponsive", "injured", "ill", "mental"]', "flags = []", "categories[0].flags: category 'medical' has no flags",
         "flags = []"),
        ("radius_m = 150.0", "radius_m = 1e9", "correlation.radius_m: must be at most 5000", "radius_m = 1e9"),
        ("radius_m = 150.0", "radius_m = 0", "correlation.radius_m: must be at least 1", "radius_m = 0"),
        ("window_min = 20", "window_min = 0", "correlation.window_min: must be at least 1", "window_min = 0"),
        ("max_uncertainty_m = 250.0", "max_uncertainty_m = 1e12", "correlation.max_uncertainty_m: must be at most", "max_uncertainty_m"),
        # A missing accuracy is an assumed one, per channel: a negative figure shrank the reach, a misspelt channel
        # left the default in force without a word, and no `default` would read every other channel's as exact.
        ("hotline = 250.0 ", "hotline = -5.0 ", "correlation.assumed_uncertainty_m.hotline: must be at least 0", "hotline = -5.0"),
        ("hotline = 250.0 ", "hotlne = 250.0 ", "correlation.assumed_uncertainty_m.hotlne: unknown key", "hotlne = 250.0"),
        ("default = 100.0 ", "phone = 100.0 ", "correlation.assumed_uncertainty_m.phone: unknown key", "phone = 100.0"),
        ("[correlation.assumed_uncertainty_m]\ndefault = 100.0", "[correlation.assumed_uncertainty_m]\n",
         "correlation.assumed_uncertainty_m.default: missing",
         "[correlation.assumed_uncertainty_m]"),
        ("thermal = 50.0 ", 'thermal = "50 m" ', "correlation.assumed_uncertainty_m.thermal: expected float", 'thermal = "50 m"'),
        ('end = "06:00"', 'end = "22:00"', "modifiers.night.end: the same time as start (22:00)", 'end = "22:00"'),
        # Tenth attack audit (session 26): a clock step longer than the shortest acknowledgement deadline (P1 at
        # orange, 2.5 min) escalated every queued task at its first tick, up to the leader on duty at the second; a
        # severe-cold threshold above 10 °C (where wind chill is defined) raised every incident all winter, one below
        # any air temperature never; no help-point kind sent every task without its nearest help point.
        ("clock_step_s = 60", "clock_step_s = 3600", "deadlines.clock_step_s: 3600 s is longer than the shortest "
         "acknowledgement deadline (P1 at orange: 150 s)", "clock_step_s = 3600"),
        ("wind_chill_at_or_below_c = -10.0", "wind_chill_at_or_below_c = 500",
         "modifiers.severe_cold.wind_chill_at_or_below_c: must be at most 10", "wind_chill_at_or_below_c = 500"),
        ("wind_chill_at_or_below_c = -10.0", "wind_chill_at_or_below_c = -500",
         "modifiers.severe_cold.wind_chill_at_or_below_c: must be at least -80", "wind_chill_at_or_below_c = -500"),
        ('help_point_kinds = ["help_point", "warm_up_site", "rescue_station", "hospital"]', "help_point_kinds = []",
         "dispatch.help_point_kinds: needs at least one kind", "help_point_kinds = []"),
        # a road factor of 1e308 made every ETA infinite: events carried `Infinity`, which no JSON reader takes; a team
        # on foot at 1e308 km/h arrived everywhere at once and was everyone's nearest
        ('[dispatch.destinations.medical]\nkinds = ["hospital"]', "[dispatch.destinations.medical]\nkinds = []",
         "dispatch.destinations.medical.kinds: needs at least one kind", "kinds = []"),
        ("road_factor = 1.4", "road_factor = 1e308", "dispatch.eta.road_factor: must be at most 5", "road_factor = 1e308"),
        ("foot_kmh = 4.0", "foot_kmh = 1e308", "dispatch.eta.foot_kmh: must be at most 200", "foot_kmh = 1e308"),
        ("vehicle_kmh = 25.0", "vehicle_kmh = 1e308", "dispatch.eta.vehicle_kmh: must be at most 200", "vehicle_kmh = 1e308"),
        # a head-count limit of 10^12 let one tip's form claim a trillion persons at one spot, carried on its report and
        # every dispatch event; a group a patrol team meets at one spot is far below 1000
        ("max_persons = 50", "max_persons = 1000000000000", "intake.max_persons: must be at most 1000", "max_persons ="),
        ("max_text_bytes = 10000", "max_text_bytes = 2000000", "intake.max_text_bytes: must be at most 65536", "max_text_bytes"),
        # Cold-wave levels looser than a lower one: checked from red down, a red at a 6 °C drop turned every blue night
        # red (orange's floor and halved deadlines); an orange at a 5 °C minimum or a yellow over 72 h likewise.
        ("drop_c = 16.0", "drop_c = 6.0", "cold_wave.levels.red.drop_c: 6 °C is looser than orange's 12 °C", "drop_c = 6.0"),
        ("min_at_or_below_c = 0.0", "min_at_or_below_c = 5.0", "cold_wave.levels.orange.min_at_or_below_c: 5 °C is looser than "
         "yellow's 4 °C", "min_at_or_below_c = 5.0"),
        ("within_h = 24", "within_h = 72", "cold_wave.levels.yellow.within_h: 72 h is looser than blue's 48 h", "within_h = 72"),
        # Their effects too: a more severe level raising fewer levels, lifting to a lower floor (or none), giving longer
        # deadlines or a later follow-up than a milder one made the worse night the laxer one.
        ("raise = 1\nfloor = \"P2\"          #", "raise = 0\nfloor = \"P2\"          #", "cold_wave.levels.orange.raise: raises 0 "
         "level(s), fewer than yellow's 1", "raise = 0"),
        ('raise = 1\nfloor = "P2"\ndeadline_factor', 'raise = 1\nfloor = "P3"\ndeadline_factor', "cold_wave.levels.red.floor: "
         "floor P3 is lower than orange's P2", 'floor = "P3"'),
        ('raise = 1\nfloor = "P2"\ndeadline_factor', 'raise = 1\ndeadline_factor', "cold_wave.levels.red: floor none is lower than "
         "orange's P2", "[cold_wave.levels.red]"),
        ('floor = "P2"\ndeadline_factor = 0.5', 'floor = "P2"\ndeadline_factor = 0.8', "cold_wave.levels.red.deadline_factor: 0.8 gives "
         "longer acknowledgement deadlines than orange's 0.5", "deadline_factor = 0.8"),
        ('deadline_factor = 0.5\nfollowup_after_h = 3\n\n[cold_wave]', 'deadline_factor = 0.5\nfollowup_after_h = 6\n\n[cold_wave]',
         "cold_wave.levels.red.followup_after_h: a follow-up after 6 h is later than orange's 3 h", "followup_after_h = 6"),
        ('deadline_factor = 0.5\nfollowup_after_h = 3\n\n[cold_wave]', 'deadline_factor = 0.5\n\n[cold_wave]',
         "cold_wave.levels.red: a follow-up after 12 h is later than orange's 3 h", "[cold_wave.levels.red]"),
        ("raise = 0             #", "raise = 0\nfollowup_after_h = 24 #", "cold_wave.levels.blue.followup_after_h: 24 h is later than "
         "deadlines.followup_after_h (12 h)", "followup_after_h = 24"),
        # Other ordered tables: acknowledgement deadlines P1 <= P2 <= P3 <= P4; a body lying still no less urgent.
        ("P2 = 15,", "P2 = 45,", "deadlines.ack_min.P2: P2 = 45 min is longer than P3 = 30 min", "ack_min"),
        ('lying_still_priority = "P2"', 'lying_still_priority = "P4"', "thermal.lying_still_priority: P4 is less urgent than priority "
         "P3", "lying_still_priority"),
    ],
)
def test_bad_policy_names_file_line_and_reason(tmp_path: Path, old: str, new: str, needle: str, line_text: str) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert str(path) in message and needle in message
    assert info.value.line is not None
    assert line_text in path.read_text(encoding="utf-8").splitlines()[info.value.line - 1]


def test_last_category_must_catch_everyone() -> None:
    text = POLICY.read_text(encoding="utf-8").replace('name = "guidance"\nflags = []', 'name = "guidance"\nflags = ["robbed"]')
    with pytest.raises(PolicyError, match="last category"):
        parse_policy(text, "p.toml")


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "nope.toml")


def test_config_files_that_are_not_utf8_name_file_and_line(tmp_path: Path) -> None:
    """A policy, lexicon, ledger policy or scenario saved in GBK (or holding a stray byte) ended `patrol check` in a traceback."""
    from core.errors import ConfigError
    from rules.lexicon import load_lexicon
    from simulators.scenario import load_scenario
    from tests.policies import ledger_policy

    bad = tmp_path / "bad.toml"
    bad.write_bytes("version = 1\n# 政策\nname = \"".encode() + "寒潮".encode("gbk") + b"\"\n")
    for load in (load_policy, load_lexicon, ledger_policy, load_scenario):
        with pytest.raises(ConfigError) as refused:
            load(bad)
        assert (refused.value.path, refused.value.line) == (str(bad), 3) and "not UTF-8" in str(refused.value)
    with_bom = tmp_path / "bom.toml"
    with_bom.write_bytes(b"\xef\xbb\xbf" + (DATA_DIR / "policy.toml").read_bytes())
    assert load_policy(with_bom).version == 1, "a byte-order mark (Windows editors) is no mistake"
