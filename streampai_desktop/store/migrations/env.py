"""Alembic environment for the desktop database.

Run through :mod:`streampai_desktop.store.migrate`, which builds the config in code and passes
an open connection in ``config.attributes["connection"]``. Deliberately no ``fileConfig()``:
the app has already configured logging and Alembic must not replace it.

To write a new migration against a scratch database::

    from pathlib import Path
    from alembic import command
    from streampai_desktop.store import migrate
    from streampai_desktop.store.db import create_sqlite_engine

    engine = create_sqlite_engine(Path("scratch.db"))
    migrate.upgrade(engine)
    with engine.begin() as conn:
        command.revision(migrate.alembic_config(conn), "what changed", autogenerate=True,
                         rev_id="0002")
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from streampai_desktop.store.models import Base, UTCDateTime


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our UTC type as a plain DateTime in new scripts.

    The column in the file is an ordinary DATETIME; keeping migration scripts free of imports
    from ``models`` means an old script still runs after the models have moved on.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "run migrations through streampai_desktop.store.migrate, which passes a connection"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite can't ALTER most things; batch mode copies the table instead.
    render_as_batch=True,
    compare_type=True,
    render_item=_render_item,
)
with context.begin_transaction():
    context.run_migrations()
