"""Typed settings: a declared table of keys with types, defaults and environment overrides.

Platform endpoints come from the platform specs (``platforms/registry.py``). Stored values live in
the preferences table; an environment variable (for tests and self-hosters)
wins over the stored value for that run only, and a command-line flag wins over both. Every
external base URL is a setting here (DESIGN.md §4), so the app can be pointed at a local server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from streampai_desktop.core.hotkeys import HOTKEY_ACTIONS, HotkeyError, normalize_hotkey
from streampai_desktop.platforms.registry import PLATFORMS
from streampai_desktop.platforms.spec import Endpoint

DEFAULT_OVERLAY_PORT = 7470
THEMES = ("system", "light", "dark")


class SettingsError(ValueError):
    """A setting value that cannot be used (the message says which and why)."""


def _port(value: Any) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"port must be a number, got {value!r}") from None
    if not 1024 <= port <= 65535:
        raise SettingsError(f"port must be between 1024 and 65535, got {port}")
    return port


def _theme(value: Any) -> str:
    if value not in THEMES:
        raise SettingsError(f"theme must be one of {', '.join(THEMES)}, got {value!r}")
    return str(value)


def _url(value: Any) -> str:
    text = str(value).strip().rstrip("/")
    if not text.startswith(("http://", "https://", "ws://", "wss://")):
        raise SettingsError(f"expected an http(s):// or ws(s):// URL, got {value!r}")
    return text


def _text(value: Any) -> str:
    return str(value).strip()


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"expected yes or no, got {value!r}")


def _names(value: Any) -> tuple[str, ...]:
    """A set of short ids (``["copy_url", "add_to_obs"]``), sorted; the store keeps a list."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise SettingsError(f"expected a list of names, got {value!r}")
    names = {str(item).strip() for item in items}
    if any(not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name) for name in names - {""}):
        raise SettingsError(f"expected short lowercase names, got {value!r}")
    return tuple(sorted(names - {""}))


def _json_object(value: Any) -> dict[str, Any]:
    """A JSON object (what OBS's stream settings are); None or "" for none."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise SettingsError(f"expected an object, got {value!r}")
    return dict(value)


def _hotkey(value: Any) -> str:
    try:
        return normalize_hotkey(str(value or ""))
    except HotkeyError as exc:
        raise SettingsError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class SettingSpec:
    key: str
    parse: Callable[[Any], Any]
    default: Any
    env: str | None = None
    label: str = ""


SPECS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec(
            "overlay_port",
            _port,
            DEFAULT_OVERLAY_PORT,
            "STREAMPAI_OVERLAY_PORT",
            "Overlay server port",
        ),
        SettingSpec("theme", _theme, "system", None, "Theme"),
        SettingSpec(
            "demo_when_offline", _bool, True, None, "Demo events when no account is connected"
        ),
        # The Dashboard's "Get on stream" checklist on this computer (not synced: OBS and its
        # sources are per computer): the steps done so far, and whether the streamer closed it.
        SettingSpec("get_on_stream_done", _names, (), None, "Get on stream: steps done"),
        SettingSpec("get_on_stream_closed", _bool, False, None, "Get on stream: closed"),
        SettingSpec(
            "cloudflare_api_url",
            _url,
            "https://api.cloudflare.com/client/v4",
            "STREAMPAI_CLOUDFLARE_API_URL",
            "Cloudflare API",
        ),
        SettingSpec(
            "account_service_url",
            _url,
            "https://api.streampai.com",
            "STREAMPAI_CLOUD_URL",
            "Streampai account service",
        ),
        SettingSpec(
            "obs_websocket_url", _url, "ws://127.0.0.1:4455", "STREAMPAI_OBS_URL", "OBS WebSocket"
        ),
        # After the overlay token or port changed: update OBS's browser sources without asking.
        SettingSpec(
            "obs_always_update_sources", _bool, False, None, "OBS: always update overlay sources"
        ),
        # OBS's stream settings before the app pointed OBS elsewhere, to switch back (their stream
        # key and passwords are in the keyring, never here: obs/stream_settings.py).
        SettingSpec(
            "obs_previous_stream_service", _json_object, {}, None, "OBS: previous stream settings"
        ),
        # None by default: a global hotkey takes its key from every other program.
        *(SettingSpec(a.setting, _hotkey, "", None, f"Hotkey: {a.label}") for a in HOTKEY_ACTIONS),
    )
}
"""The app's own settings; each platform's endpoints come from its spec (:func:`setting_specs`)."""

# The app's own settings that are service addresses (shown with the platforms' endpoints).
APP_ENDPOINTS = ("account_service_url", "obs_websocket_url", "cloudflare_api_url")


def _endpoint_spec(endpoint: Endpoint) -> SettingSpec:
    parse = _url if endpoint.is_url else _text
    return SettingSpec(endpoint.key, parse, endpoint.default, endpoint.env, endpoint.label)


def setting_specs() -> dict[str, SettingSpec]:
    """Every setting: the app's own, then each registered platform's endpoints (read from the
    registry each time, so a platform registered later has its settings too)."""
    specs = dict(SPECS)
    for platform in PLATFORMS.values():
        specs.update((e.key, _endpoint_spec(e)) for e in platform.endpoints)
    return specs


def setting_spec(key: str) -> SettingSpec:
    spec = SPECS.get(key)
    if spec is not None:
        return spec
    for platform in PLATFORMS.values():
        for endpoint in platform.endpoints:
            if endpoint.key == key:
                return _endpoint_spec(endpoint)
    raise KeyError(key)


class Settings:
    """Effective settings: command-line overrides > environment > stored values > defaults."""

    def __init__(
        self,
        stored: Mapping[str, Any] | None = None,
        *,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._stored = dict(stored or {})
        self._overrides = {k: setting_spec(k).parse(v) for k, v in (overrides or {}).items()}
        self._environ = os.environ if environ is None else environ
        self.problems: list[str] = []  # stored or env values that were unusable (shown in the UI)

    def get(self, key: str) -> Any:
        spec = setting_spec(key)
        if key in self._overrides:
            return self._overrides[key]
        if spec.env and (raw := self._environ.get(spec.env)):
            try:
                return spec.parse(raw)
            except SettingsError as exc:
                self._note(f"{spec.env}: {exc}; using the saved value instead")
        if key in self._stored:
            try:
                return spec.parse(self._stored[key])
            except SettingsError as exc:
                self._note(f"{spec.label or key}: {exc}; using the default {spec.default!r}")
        return spec.default

    def source(self, key: str) -> str:
        """Where the value comes from: "command line", "environment", "saved" or "default"."""
        spec = setting_spec(key)
        if key in self._overrides:
            return "command line"
        if spec.env and self._environ.get(spec.env):
            return "environment"
        return "saved" if key in self._stored else "default"

    def validate(self, key: str, value: Any) -> Any:
        """The parsed value, or :class:`SettingsError` with a message for the user."""
        return setting_spec(key).parse(value)

    def set_stored(self, key: str, value: Any) -> Any:
        """Record a newly saved value (the caller persists it); returns the parsed value."""
        parsed = self.validate(key, value)
        self._stored[key] = parsed
        # The user just chose this value in the app: a command-line override no longer applies.
        self._overrides.pop(key, None)
        return parsed

    def _note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    @property
    def overlay_port(self) -> int:
        return int(self.get("overlay_port"))

    @property
    def theme(self) -> str:
        return str(self.get("theme"))

    @property
    def demo_when_offline(self) -> bool:
        return bool(self.get("demo_when_offline"))
