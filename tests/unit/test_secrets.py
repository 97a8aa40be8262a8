"""Secrets: keyring when it works, a 0600 file (and a visible warning) when it does not."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from streampai_desktop.logging_setup import redact
from streampai_desktop.secrets import (
    OVERLAY_TOKEN,
    FileBackend,
    KeyringBackend,
    SecretStore,
    SecretStoreError,
    load_install_id,
    open_secret_store,
)


def test_uses_the_keyring_when_one_works(tmp_path: Path, memory_keyring) -> None:
    store = open_secret_store(tmp_path)
    assert isinstance(store.backend, KeyringBackend)
    assert store.warning is None
    token = store.ensure_token_blocking(OVERLAY_TOKEN)
    assert len(token) >= 32  # 192 random bits, URL-safe
    assert store.ensure_token_blocking(OVERLAY_TOKEN) == token
    assert token in memory_keyring.entries.values()
    assert not (tmp_path / "secrets.json").exists()


def test_two_data_folders_keep_separate_tokens(tmp_path: Path) -> None:
    a = open_secret_store(tmp_path / "a").ensure_token_blocking(OVERLAY_TOKEN)
    b = open_secret_store(tmp_path / "b").ensure_token_blocking(OVERLAY_TOKEN)
    assert a != b
    assert load_install_id(tmp_path / "a") != load_install_id(tmp_path / "b")


@pytest.mark.allow_logs(r"No working system keyring")
def test_falls_back_to_a_private_file_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keyring.set_keyring(fail.Keyring())
    with caplog.at_level(logging.WARNING):
        store = open_secret_store(tmp_path)
    assert isinstance(store.backend, FileBackend)
    path = tmp_path / "secrets.json"
    assert store.warning == (
        f"Secrets stored unencrypted in {path} (no system keyring is available)."
    )
    assert f"secrets stored unencrypted in {path}" in caplog.text
    token = store.ensure_token_blocking(OVERLAY_TOKEN)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert open_secret_store(tmp_path).ensure_token_blocking(OVERLAY_TOKEN) == token


@pytest.mark.allow_logs(r"No working system keyring")
def test_broken_keyring_falls_back_too(tmp_path: Path, memory_keyring, monkeypatch) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("dbus said no")

    monkeypatch.setattr(memory_keyring, "get_password", explode)
    assert isinstance(open_secret_store(tmp_path).backend, FileBackend)


def test_damaged_secrets_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "secrets.json").write_text("{not json")
    store = SecretStore(FileBackend(tmp_path / "secrets.json"))
    with pytest.raises(SecretStoreError, match="is damaged"):
        store.get_blocking(OVERLAY_TOKEN)
    assert (tmp_path / "secrets.json").read_text() == "{not json", "nothing is overwritten"


async def test_secret_values_are_redacted_from_logs_and_errors(
    tmp_path: Path, memory_keyring, caplog
) -> None:
    store = open_secret_store(tmp_path)
    value = await store.regenerate_token(OVERLAY_TOKEN)
    assert redact(f"the token is {value}!") == "the token is ***!"
    assert redact("http://127.0.0.1:1/overlay/chat_box?token=abc&x=1") == (
        "http://127.0.0.1:1/overlay/chat_box?token=***&x=1"
    )

    def leaky_set(service: str, name: str, password: str) -> None:
        raise RuntimeError(f"cannot store {password}")

    memory_keyring.set_password = leaky_set  # type: ignore[method-assign]
    with pytest.raises(SecretStoreError) as info:
        await store.set("stream_key", "live_sk_very_secret_value")
    assert "live_sk_very_secret_value" not in str(info.value)
