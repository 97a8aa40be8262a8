"""How the app is started (the command line's choices) and what start-up found for the UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(slots=True)
class AppOptions:
    data_dir: Path
    port: int | None = None  # a command-line override for this run
    headless: bool = False
    demo: bool | None = None  # None: on when no account is connected
    verbose: bool = False
    log_to_file: bool = True


@dataclass(slots=True)
class AppState:
    """What the UI shows about the running app (filled in by the init steps)."""

    notices: list[str] = field(default_factory=list)  # one-off messages (db moved aside, ...)
    secrets_warning: str | None = None
    log_file: Path | None = None
