"""Sync with the Streampai account service: the engine (push outbox, pull, apply) and its
HTTP transport. No Qt here."""
