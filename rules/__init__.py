"""The pure rules: every decision of the pipeline, as functions over records and state.

Layer 2, beside `thermal` (imports `core` and `geo`, never a broker). Its modules:

- `body_temperature`: a person's temperature said as a number, hypothermia or fever by the lexicon's bounds (`BodyTemperature`).
- `context`: `Context`, everything the rules read besides records (policy, lexicon, city index).
- `desk`: the dispatch desk (subpackage): `Desk` coordinates, the rules are pure modules beside it.
- `dialogue`: a hotline's question-and-answer transcript read as what its answers say (`Dialogue`).
- `homophones`: Chinese cue words written with same-sounding characters read as the cue (`Homophones`).
- `intake`: raw payloads to typed records (tips, detections, weather, team status, acks, ticks) or a `RecordError`.
- `lexicon`: flags from free text, by a bilingual cue lexicon kept as data.
- `partners`: partner notices, one OASIS CAP 1.2 alert per partner and change (`NoticeWriter`).
- `referrals`: referrals after the night (a person met with a suspected mental disorder): when each is `due`.
- `reporters`: replies to reporters who left a contact (`ReplyWriter`).
- `wording`: plain words for categories and flags, in Chinese and English.
- `pinyin_text`: tips typed in pinyin, whole or in part, read as the lexicon's Chinese words (`PinyinReader`).
- `phone`: the teams' phones: `PhonePolicy`, `check_fix` (stale, vague, impossible fixes), `ClientIds` (applied once).
- `policy`: the dispatch policy (`data/policy.toml`), loaded and validated.
- `triage`: category, priority, notifications and deadline of an incident.
- `typos`: misspelt English cue words of a tip read as the cue (`TypoReader`).
- `weather`: cold-wave level, wind chill and night, judged by the policy.

Import the modules (`from rules.desk import Desk`); this package file imports nothing.
"""

__all__ = ["body_temperature", "context", "desk", "dialogue", "homophones", "intake", "lexicon", "partners", "phone", "pinyin_text", "policy", "referrals", "reporters", "triage", "typos", "weather", "wording"]
