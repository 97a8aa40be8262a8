"""Streampai account service: accounts, config sync and donation relay (aiohttp + PostgreSQL)."""
