"""Twitch: device-code sign-in, Helix through twitchio, EventSub over WebSocket."""
