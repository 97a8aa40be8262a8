"""The embedded overlay server (aiohttp, 127.0.0.1 only). No Qt imports here.

``create_app()`` builds the aiohttp application; :class:`OverlayServer` runs it with
AppRunner/TCPSite inside whatever asyncio loop is running (plain asyncio headless, qasync with Qt).
"""

from streampai_desktop.server.app import OverlayServer, PortInUseError, create_app
from streampai_desktop.server.context import ServerContext
from streampai_desktop.server.urls import api_base_url, overlay_url

__all__ = [
    "OverlayServer",
    "PortInUseError",
    "ServerContext",
    "api_base_url",
    "create_app",
    "overlay_url",
]
