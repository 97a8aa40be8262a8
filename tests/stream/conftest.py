"""Stream tests reuse the fake-Twitch fixtures of the platform tests."""

from tests.platforms.conftest import endpoints, secrets, signed_in, twitch  # noqa: F401
