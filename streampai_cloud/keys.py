"""Typed application keys: every piece of shared state a handler may reach."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from streampai_cloud.config import CloudConfig
from streampai_cloud.facebook.client import FacebookClient
from streampai_cloud.kick.client import KickClient
from streampai_cloud.kick.signature import WebhookVerifier
from streampai_cloud.live import LiveHub
from streampai_cloud.media import MediaStore
from streampai_cloud.ratelimit import RateLimiter
from streampai_cloud.security import AccessTokens, Passwords, RefreshTokens

CONFIG = web.AppKey("config", CloudConfig)
ENGINE = web.AppKey("engine", AsyncEngine)
PASSWORDS = web.AppKey("passwords", Passwords)
ACCESS_TOKENS = web.AppKey("access_tokens", AccessTokens)
REFRESH_TOKENS = web.AppKey("refresh_tokens", RefreshTokens)
LIMITER = web.AppKey("limiter", RateLimiter)
HUB = web.AppKey("hub", LiveHub)
MEDIA_STORE = web.AppKey("media_store", MediaStore)
KICK = web.AppKey("kick", KickClient)
KICK_VERIFIER = web.AppKey("kick_verifier", WebhookVerifier)
FACEBOOK = web.AppKey("facebook", FacebookClient)
