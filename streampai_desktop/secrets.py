"""Secrets (OAuth tokens, stream keys, the overlay and API tokens) in the OS keyring.

Every secret the app holds goes through :class:`SecretStore`. The keyring's calls can block (D-Bus,
the macOS keychain prompt), so the async methods run them on a worker thread. When no keyring
backend works — typically headless Linux with no Secret Service — secrets go to an app-owned JSON
file with mode 0600 in the data dir, and the app says so ("secrets stored unencrypted in FILE") in
the log and the UI. Secret values never reach the log: each value read or written is registered
with :mod:`streampai_desktop.logging_setup`'s redactor.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets as _pysecrets
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Protocol

from streampai_desktop.core.errors import UserFacingError
from streampai_desktop.logging_setup import register_secret

log = logging.getLogger(__name__)

SERVICE_PREFIX = "streampai-desktop"
FALLBACK_FILE_NAME = "secrets.json"

OVERLAY_TOKEN = "overlay_token"
API_TOKEN = "api_token"


INSTALL_ID_FILE = "install_id"


def load_install_id(data_dir: Path) -> str:
    """This install's id, created on first use. It names the keyring entries, so two data folders
    on one computer keep separate tokens; it lives in its own file so it survives a database reset.
    """
    path = data_dir / INSTALL_ID_FILE
    try:
        value = path.read_text(encoding="ascii").strip()
        if value:
            return value
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    value = uuid.uuid4().hex
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n", encoding="ascii")
    return value


def open_secret_store(data_dir: Path) -> SecretStore:
    """The secret store for ``data_dir`` (keyring, else the 0600 file). Blocking."""
    return SecretStore(choose_backend(data_dir, load_install_id(data_dir)))


def new_token() -> str:
    """A fresh random token: 192 bits, URL-safe (the contract asks for at least 128)."""
    return _pysecrets.token_urlsafe(24)


class SecretBackend(Protocol):
    """Blocking key/value storage for secrets."""

    description: str
    encrypted: bool

    def get(self, name: str) -> str | None: ...
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class KeyringBackend:
    """The OS keyring, one entry per secret under a per-install service name."""

    encrypted = True

    def __init__(self, service: str) -> None:
        import keyring

        self._keyring = keyring
        self.service = service
        self.description = f"the system keyring ({type(keyring.get_keyring()).__name__})"

    def get(self, name: str) -> str | None:
        return self._keyring.get_password(self.service, name)

    def set(self, name: str, value: str) -> None:
        self._keyring.set_password(self.service, name, value)

    def delete(self, name: str) -> None:
        from keyring.errors import PasswordDeleteError

        with contextlib.suppress(PasswordDeleteError):
            self._keyring.delete_password(self.service, name)


class FileBackend:
    """Fallback: a JSON file readable only by the user (mode 0600), written atomically."""

    encrypted = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"an unencrypted file ({path})"
        self._lock = threading.Lock()

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SecretStoreError(
                f"The secrets file {self.path} is damaged ({exc.msg}); "
                "move it away and sign in again."
            ) from None
        if not isinstance(data, dict):
            raise SecretStoreError(f"The secrets file {self.path} is damaged (not an object).")
        return {str(k): str(v) for k, v in data.items()}

    def _write(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".secrets-", dir=self.path.parent)
        try:
            os.chmod(tmp, 0o600)  # before any byte is written
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._read().get(name)

    def set(self, name: str, value: str) -> None:
        with self._lock:
            data = self._read()
            data[name] = value
            self._write(data)

    def delete(self, name: str) -> None:
        with self._lock:
            data = self._read()
            if data.pop(name, None) is not None:
                self._write(data)


class SecretStoreError(UserFacingError):
    """A secret could not be read or written (the message says what to do)."""

    title = "Secrets unavailable"


def choose_backend(data_dir: Path, install_id: str) -> SecretBackend:
    """The OS keyring if one answers, else the 0600 file in ``data_dir``.

    The probe is a read of an entry that need not exist: it tells whether the backend works without
    writing anything into the user's keyring.
    """
    service = f"{SERVICE_PREFIX}/{install_id}"
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or type(backend).__name__ == "NullKeyring":
            raise RuntimeError(f"no usable keyring backend ({type(backend).__name__})")
        candidate = KeyringBackend(service)
        candidate.get("__probe__")
        return candidate
    except Exception as exc:  # any failure means: do not trust the keyring
        path = data_dir / FALLBACK_FILE_NAME
        log.warning("No working system keyring (%s): secrets stored unencrypted in %s", exc, path)
        return FileBackend(path)


class SecretStore:
    """Async access to secrets; blocking backend calls run on a worker thread."""

    def __init__(self, backend: SecretBackend) -> None:
        self.backend = backend

    @property
    def warning(self) -> str | None:
        """What the UI must show when secrets are not encrypted, else None."""
        if self.backend.encrypted:
            return None
        path = getattr(self.backend, "path", "a file")
        return f"Secrets stored unencrypted in {path} (no system keyring is available)."

    def get_blocking(self, name: str) -> str | None:
        try:
            value = self.backend.get(name)
        except SecretStoreError:
            raise
        except Exception as exc:
            raise SecretStoreError(
                f"Could not read {name!r} from {self.backend.description}: {type(exc).__name__}"
            ) from None
        if value:
            register_secret(value)
        return value

    def set_blocking(self, name: str, value: str) -> None:
        register_secret(value)
        try:
            self.backend.set(name, value)
        except SecretStoreError:
            raise
        except Exception as exc:
            raise SecretStoreError(
                f"Could not save {name!r} to {self.backend.description}: {type(exc).__name__}"
            ) from None

    def delete_blocking(self, name: str) -> None:
        try:
            self.backend.delete(name)
        except Exception as exc:
            raise SecretStoreError(
                f"Could not delete {name!r} from {self.backend.description}: {type(exc).__name__}"
            ) from None

    def ensure_token_blocking(self, name: str) -> str:
        """The token stored under ``name``, creating a fresh one on first use."""
        value = self.get_blocking(name)
        if not value:
            value = new_token()
            self.set_blocking(name, value)
        return value

    async def get(self, name: str) -> str | None:
        return await asyncio.to_thread(self.get_blocking, name)

    async def set(self, name: str, value: str) -> None:
        await asyncio.to_thread(self.set_blocking, name, value)

    async def delete(self, name: str) -> None:
        await asyncio.to_thread(self.delete_blocking, name)

    async def regenerate_token(self, name: str) -> str:
        """Replace a token with a fresh one (old overlay URLs stop working) and return it."""
        value = new_token()
        await self.set(name, value)
        return value
