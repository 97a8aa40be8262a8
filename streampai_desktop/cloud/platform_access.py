"""The account session as the platforms that go through the service see it
(:class:`~streampai_desktop.platforms.service_relay.ServiceAccess`): the service's address and a
current access token, with the session's errors in the platforms' words."""

from __future__ import annotations

from streampai_desktop.cloud.engine import SignInRequired, SyncError
from streampai_desktop.cloud.transport import AccountSession
from streampai_desktop.platforms.base import NotReady
from streampai_desktop.platforms.service_relay import SignedOut


class PlatformAccess:
    def __init__(self, session: AccountSession) -> None:
        self.session = session

    @property
    def base_url(self) -> str:
        # Read each time: the streamer may point the app at another service while signed out.
        return self.session.base_url

    async def signed_in(self) -> bool:
        return await self.session.signed_in()

    async def bearer(self, *, renew: bool = False) -> str:
        try:
            return await self.session.access_token(renew=renew)
        except SignInRequired as exc:
            raise SignedOut(str(exc)) from None
        except SyncError as exc:  # offline, the service busy or too new for this app
            raise NotReady(f"the Streampai account service is not reachable ({exc})") from None
