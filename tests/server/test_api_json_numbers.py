"""Numbers JSON does not have (NaN, Infinity, a literal that overflows to infinity) are refused
by the local API with a clear 400 — Python's parser would take them, and a config holding one
could never be synced — and a widget config cannot hold one either."""

from __future__ import annotations

import math

import pytest

from streampai_desktop.widgets.registry import WIDGETS
from streampai_desktop.widgets.schema import ConfigError
from tests.server.conftest import RunningServer


@pytest.mark.parametrize(
    ("number", "said"),
    [
        ("NaN", "NaN is not a number JSON allows"),
        ("-Infinity", "-Infinity is not a number JSON allows"),
        ("1e400", "1e400 is too large a number"),
    ],
)
async def test_the_local_api_refuses_numbers_json_does_not_have(
    running: RunningServer, number: str, said: str
) -> None:
    headers = {**running.api_headers(), "Content-Type": "application/json"}
    async with running.http.put(
        f"{running.base}/api/v1/widgets/chat_box/config",
        data=f'{{"max_messages": 20, "future_size": {number}}}',
        headers=headers,
    ) as resp:
        assert resp.status == 400
        error = (await resp.json())["error"]
    assert error.startswith("the body is not valid JSON: ") and said in error
    async with running.http.post(
        f"{running.base}/api/v1/events",
        data=f'{{"kind": "raid", "platform": "twitch", "viewers": {number}}}',
        headers=headers,
    ) as resp:
        assert resp.status == 400
    assert running.bus.published == 0
    async with running.http.post(
        f"{running.base}/api/v1/events",
        data='{"kind": "raid", "platform": "twitch", "viewers": 1.5e3}',
        headers=headers,
    ) as resp:
        assert resp.status != 400, "an ordinary float is JSON (the event is judged on its own)"


@pytest.mark.parametrize("bad", [math.nan, math.inf, [1, {"deep": -math.inf}]])
def test_a_widget_config_cannot_hold_nan_or_infinity(bad: object) -> None:
    spec = WIDGETS["chat_box"]
    with pytest.raises(ConfigError) as refused:
        spec.validate({**spec.defaults, "future_size": bad})
    assert "future_size" in refused.value.problems
    with pytest.raises(ConfigError) as refused:
        spec.validate({**spec.defaults, "max_messages": math.nan})
    assert "NaN" in refused.value.problems["max_messages"]
