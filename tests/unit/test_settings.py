"""Typed settings: precedence, validation with messages, environment overrides for endpoints."""

from __future__ import annotations

import pytest

from streampai_desktop.settings import DEFAULT_OVERLAY_PORT, Settings, SettingsError, setting_specs


def test_precedence_command_line_then_environment_then_saved_then_default() -> None:
    env = {"STREAMPAI_OVERLAY_PORT": "8100"}
    assert Settings({}).overlay_port == DEFAULT_OVERLAY_PORT
    assert Settings({"overlay_port": 8000}).overlay_port == 8000
    assert Settings({"overlay_port": 8000}, environ=env).overlay_port == 8100
    both = Settings({"overlay_port": 8000}, overrides={"overlay_port": 8200}, environ=env)
    assert both.overlay_port == 8200 and both.source("overlay_port") == "command line"


def test_bad_saved_value_falls_back_to_default_and_is_reported() -> None:
    settings = Settings({"overlay_port": "eighty", "theme": "neon"}, environ={})
    assert settings.overlay_port == DEFAULT_OVERLAY_PORT
    assert settings.theme == "system"
    assert any("port must be a number" in p for p in settings.problems)
    assert any("theme must be one of system, light, dark" in p for p in settings.problems)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("overlay_port", 80, "between 1024 and 65535"),
        ("theme", "pink", "theme must be one of"),
        ("twitch_api_url", "api.twitch.tv", "expected an http"),
    ],
)
def test_validation_messages(key: str, value: object, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings({}).validate(key, value)


def test_every_external_endpoint_has_an_environment_override() -> None:
    urls = [spec for spec in setting_specs().values() if spec.key.endswith("_url")]
    assert {
        "twitch_eventsub_url",
        "twitch_api_url",
        "twitch_auth_url",
        "account_service_url",
        "cloudflare_api_url",
        "obs_websocket_url",
    } <= {s.key for s in urls}
    for spec in urls:
        assert spec.env, spec.key
        settings = Settings({}, environ={spec.env: "http://127.0.0.1:9999/"})
        assert settings.get(spec.key) == "http://127.0.0.1:9999"
