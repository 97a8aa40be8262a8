"""Kick, through the Streampai account service (it holds the secret, receives the webhooks)."""
