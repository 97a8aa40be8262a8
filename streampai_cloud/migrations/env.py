"""Alembic environment: always handed a live connection by streampai_cloud.migrate."""

from __future__ import annotations

from alembic import context

from streampai_cloud.db import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `streampai-cloud migrate`, not the alembic command")

context.configure(connection=connection, target_metadata=metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
