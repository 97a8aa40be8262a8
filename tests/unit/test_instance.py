"""One app per data folder; the second is told where the first one is."""

from __future__ import annotations

from pathlib import Path

import pytest

from streampai_desktop.instance import AlreadyRunningError, InstanceLock, running_instance


def test_second_instance_is_refused_with_the_first_ones_port(tmp_path: Path) -> None:
    first = InstanceLock(tmp_path)
    first.acquire()
    first.publish(7480, headless=True)
    try:
        assert running_instance(tmp_path).port == 7480
        with pytest.raises(AlreadyRunningError, match="overlay port 7480"):
            InstanceLock(tmp_path).acquire()
    finally:
        first.release()
    assert running_instance(tmp_path) is None
    again = InstanceLock(tmp_path)
    again.acquire()
    again.release()
