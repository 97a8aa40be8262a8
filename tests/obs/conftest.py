"""Fixtures for the OBS tests: real OBS Studio under Xvfb and a local RTMP server to stream to
(tests/obs/real_obs.py says how each is run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.obs.real_obs import RealObs, RtmpReceiver, rtmp_receiver, running_obs


@pytest.fixture(scope="module")
def real_obs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealObs]:
    """One real OBS for a test module (it starts in about a second, but there is no need to pay
    that per test): tests leave it as they found it (scene "Starting", not streaming).

    Fails, saying what to install, when OBS is missing: the real-OBS tests are part of `make test`.
    """
    with running_obs(tmp_path_factory.mktemp("real-obs")) as obs:
        yield obs


@pytest.fixture
def rtmp_server(tmp_path: Path) -> Iterator[RtmpReceiver]:
    """ffmpeg waiting for one RTMP publisher; what it receives lands in ``tmp_path``."""
    with rtmp_receiver(tmp_path / "rtmp") as receiver:
        yield receiver
