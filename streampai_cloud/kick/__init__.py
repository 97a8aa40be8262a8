"""Kick through the account service: the OAuth exchange that needs the app's secret, the webhook
subscriptions, and the webhooks themselves, relayed to the streamer's devices over /v1/live."""
