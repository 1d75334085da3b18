"""The `patrol` command, the top layer: one subcommand per role, settings from the environment.

- `main`: `main` and `build_parser`; each subcommand imports what it runs when it runs.

Import the module (`from cli.main import main`); this package file imports nothing.
"""

__all__ = ["main"]
