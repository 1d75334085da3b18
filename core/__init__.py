"""Shared basics every layer stands on: no I/O beyond reading files, no broker.

Layer 0 (imports nothing of the product). Its modules:

- `errors`: `PatrolError` and one subclass per domain (config, policy, city, record, frame, broker).
- `feed`: `FeedItem`, a timed input record for replays and drills.
- `files`: regular files only (`read_file`), UTF-16 read by its byte-order mark (`as_utf8`), output folders made and
  checked before any work (`output_dir`).
- `records`: the typed record of every topic boundary (`Tip`, `Report`, `DispatchEvent`, ...), with JSON in and out.
- `settings`: the frozen `Settings`, from `PATROL_*` environment variables and back (`Settings.to_env`).
- `textfold`: the one folding of free text (width, case, script variants) for comparisons.
- `tomlconfig`: TOML reading that names file, line and key on error (policy, lexicon, scenarios).
- `topics`: every topic name, spelled once.
- `validate`: number and plausible-time checks shared by every reader of outside data.

Import the modules (`from core import topics`); this package file imports nothing.
"""

__all__ = ["errors", "feed", "files", "records", "settings", "textfold", "tomlconfig", "topics", "validate"]
