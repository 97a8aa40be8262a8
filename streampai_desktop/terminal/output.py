"""What a terminal command prints: sentences for people, or JSON for scripts (``--json``).

With ``--json`` every line on stdout is one JSON object (a step to show while a sign-in waits,
then the result), so a script can read them as they come; errors go to stderr either way.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any


class Out:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def line(self, text: str) -> None:
        """A sentence for people (not printed with --json)."""
        if not self.as_json:
            print(text, flush=True)

    def event(self, data: dict[str, Any]) -> None:
        """Something a script may act on before the result (a code to enter)."""
        if self.as_json:
            print(json.dumps(data), flush=True)

    def result(self, data: Any, text: Callable[[], None]) -> None:
        if self.as_json:
            print(json.dumps(data, indent=None if isinstance(data, dict) else 2), flush=True)
        else:
            text()

    def error(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)
