"""Streampai Desktop: a desktop companion for live streamers."""

__version__ = "0.1.0"
