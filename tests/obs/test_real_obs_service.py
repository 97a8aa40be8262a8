"""The app's OBS service against real OBS Studio (Debian's obs-studio under Xvfb, started by
tests/obs/real_obs.py): it connects with the saved password, shows OBS's versions and scene,
follows a scene switch, and shows the stream while OBS streams to a local RTMP server — time,
kbps and dropped frames, as the Dashboard line does.

Part of `make test`: when OBS is not installed this fails saying what to install, never skips.
"""

from __future__ import annotations

import asyncio

from streampai_desktop.obs.service import PASSWORD_SECRET
from tests.obs.real_obs import LIVE_SCENE, STARTING_SCENE, RealObs, RtmpReceiver
from tests.obs.test_obs_service import make_service, until


async def test_the_service_shows_real_obs_scene_and_stream(
    real_obs: RealObs, rtmp_server: RtmpReceiver
) -> None:
    service, _, secrets = make_service(real_obs.url)
    await secrets.set(PASSWORD_SECRET, real_obs.password)
    await service.start()
    try:
        status = await service.wait_connected(10)
        assert status.connected and status.obs_version and status.obs_version[0].isdigit()
        assert status.websocket_version and status.websocket_version.startswith("5.")
        status = await until(service, lambda s: bool(s.scenes))
        assert {STARTING_SCENE, LIVE_SCENE} <= set(status.scenes)
        assert status.scene == STARTING_SCENE
        assert status.line() == f"OBS: not streaming · scene “{STARTING_SCENE}”"

        await service.set_scene(LIVE_SCENE)
        await until(service, lambda s: s.scene == LIVE_SCENE)
        await service.connection.request(
            "SetStreamServiceSettings",
            {
                "streamServiceType": "rtmp_custom",
                "streamServiceSettings": {"server": rtmp_server.server, "key": rtmp_server.key},
            },
        )
        await service.start_stream()
        try:
            status = await until(
                service, lambda s: s.streaming.kbps is not None and s.streaming.kbps > 0, 20
            )
            frames = await asyncio.to_thread(rtmp_server.wait_for_frames, 30)
            assert frames >= 30, rtmp_server.log()
            line = status.line()
            assert line.startswith("OBS: streaming 00:00:"), line
            assert " kbps" in line and "dropped frames" in line and f"scene “{LIVE_SCENE}”" in line
        finally:
            await service.stop_stream()
        await until(service, lambda s: s.streaming.state == "stopped", 15)
        assert service.status.line() == f"OBS: not streaming · scene “{LIVE_SCENE}”"
    finally:
        # Leave OBS as the module found it (scene "Starting", not streaming).
        if service.status.connected:
            await service.set_scene(STARTING_SCENE)
        await service.stop()
