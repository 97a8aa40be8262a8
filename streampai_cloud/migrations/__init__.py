"""Alembic migrations of the account service, run programmatically (see streampai_cloud.migrate)."""
