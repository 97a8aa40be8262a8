"""OBS control over obs-websocket v5 (built into OBS Studio 28 and later). Qt-free, like
``platforms/``.

- :mod:`.client`: :class:`~.client.ObsClient`, one connection (Hello/Identify with the SHA-256
  challenge auth, requests with ids and timeouts, batches, events) and ``closed`` when it ends.
- :mod:`.connection`: :class:`~.connection.ObsConnection` keeps a client connected (backoff while
  OBS is not running, reconnect after OBS restarts) and says in which state it is.
- :mod:`.errors`: what can go wrong, each with what to do in OBS.
- :mod:`.local`: whether OBS runs on this computer (to tell "not running" from "websocket off").

The protocol's reference is ``docs/generated/protocol.md`` in obsproject/obs-websocket; the fake
server ``tests/fakes/obs.py`` follows it.
"""
