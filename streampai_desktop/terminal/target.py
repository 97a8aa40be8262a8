"""Where a terminal command acts: the running app (over its local API) or, when no app runs on
the data folder, the data folder itself.

:func:`running_api` finds the app (``instance.json`` beside its lock) and its API token (the same
secret store the app uses). :class:`DataFolder` opens the database, settings and secrets while
holding the app's instance lock, so the app cannot start half-way through a change.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from streampai_desktop.core.errors import EXIT_UNREACHABLE, UserFacingError
from streampai_desktop.instance import InstanceInfo, InstanceLock, running_instance
from streampai_desktop.secrets import API_TOKEN, SecretStore, open_secret_store
from streampai_desktop.settings import Settings
from streampai_desktop.store import Database

T = TypeVar("T")
API_TIMEOUT_S = 30.0


class AppNotAnswering(UserFacingError):
    title = "The app does not answer"
    exit_code = EXIT_UNREACHABLE


class ApiFailure(UserFacingError):
    """The running app refused: its own sentence and exit code (``{"error", "exit_code"}``)."""

    def __init__(self, message: str, exit_code: int, title: str = "Streampai Desktop") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.title = title


class LocalApi:
    """The running app's ``/api/v1``, with its token."""

    def __init__(self, port: int, token: str) -> None:
        import httpx

        self.port = port
        self._http = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=API_TIMEOUT_S,
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The JSON answer; ApiFailure with the app's message when it refused."""
        import httpx

        try:
            response = await self._http.request(method, f"/api/v1{path}", json=body)
        except httpx.HTTPError as exc:
            raise AppNotAnswering(
                f"Streampai Desktop runs on this data folder but its local API on port "
                f"{self.port} did not answer ({type(exc).__name__})."
            ) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code >= 400:
            error = answer if isinstance(answer, dict) else {}
            raise ApiFailure(
                str(error.get("error") or f"the app answered HTTP {response.status_code}"),
                int(error.get("exit_code") or 1),
                str(error.get("title") or "Streampai Desktop"),
            )
        return answer


def _running_on(data_dir: Path) -> InstanceInfo | None:
    return running_instance(data_dir) if data_dir.is_dir() else None


async def running_api(data_dir: Path) -> LocalApi | None:
    """The running app's API, or None when no app runs on ``data_dir``."""
    info = await asyncio.to_thread(_running_on, data_dir)
    if info is None:
        return None
    token = await asyncio.to_thread(open_secret_store(data_dir).get_blocking, API_TOKEN)
    if not token:
        raise AppNotAnswering("The running app's API token cannot be read from this account.")
    return LocalApi(info.port, token)


class DataFolder:
    """The data folder while the app is stopped: ``async with DataFolder(path) as folder``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="db")
        self._lock = InstanceLock(data_dir)
        self.db: Database
        self.settings: Settings
        self.secrets: SecretStore

    async def __aenter__(self) -> DataFolder:
        from streampai_desktop.store import open_database
        from streampai_desktop.store import operations as ops

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()  # AlreadyRunningError if the app started meanwhile
        try:
            opened = await self.run_db(open_database, self.data_dir)
            self.db = opened.db
            self.settings = Settings(await self.run_db(ops.load_preferences, self.db))
            self.secrets = await asyncio.to_thread(open_secret_store, self.data_dir)
        except BaseException:
            self._lock.release()
            raise
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.run_db(self.db.close)
        finally:
            self._executor.shutdown(wait=True)
            self._lock.release()

    async def run_db(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
