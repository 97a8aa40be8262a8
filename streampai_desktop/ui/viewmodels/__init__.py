"""Bus → Qt signals: each view-model reads one bus subscription on an asyncio task it owns."""
