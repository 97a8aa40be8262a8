"""Alembic, driven from code: the scripts ship inside the package, no ``alembic.ini`` needed.

Alembic itself is imported only when a migration runs: on an ordinary start the database is
already at head, and reading the revision ids from the scripts' headers is enough to know that
(importing Alembic costs about a tenth of the start-up time).
"""

from __future__ import annotations

import ast
import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)

# A plain folder next to this module (package data in the wheel), found relative to __file__ so
# it works from a checkout, an installed wheel and a frozen build that keeps the files on disk.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for our scripts; ``env.py`` migrates ``connection`` if given.

    Nothing here touches logging: ``env.py`` never calls ``fileConfig``, so the app's own
    logging setup stays as it is.
    """
    from alembic.config import Config

    config = Config()
    # ConfigParser treats "%" as interpolation; a data folder may well contain one.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    """Our migration scripts, as Alembic sees them."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


@functools.cache
def _revision_graph(versions_dir: Path) -> dict[str, str | None]:
    """revision → down_revision, read from the module-level assignments of each script."""
    graph: dict[str, str | None] = {}
    for script in sorted(versions_dir.glob("*.py")):
        values: dict[str, object] = {}
        for node in ast.parse(script.read_text(encoding="utf-8")).body:
            target: ast.expr
            if isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                values[target.id] = ast.literal_eval(value)
        if isinstance(values.get("revision"), str):
            down = values.get("down_revision")
            graph[str(values["revision"])] = down if isinstance(down, str) else None
    return graph


def head_revision() -> str:
    """The revision this version of the app expects."""
    graph = _revision_graph(MIGRATIONS_DIR / "versions")
    heads = set(graph) - {down for down in graph.values() if down}
    if len(heads) != 1:  # none: the versions folder went missing from the build
        raise RuntimeError(f"expected one head revision in {MIGRATIONS_DIR}, found {heads}")
    return heads.pop()


def known_revisions() -> set[str]:
    """Every revision id our scripts know (anything else was written by a newer app)."""
    return set(_revision_graph(MIGRATIONS_DIR / "versions"))


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database Alembic never touched."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` in one transaction (all or nothing).

    Run it on an engine with foreign keys off (see :mod:`~streampai_desktop.store.startup`);
    the keys are checked here before committing, so a migration can't leave orphans behind.
    """
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
        orphans = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if orphans:
            raise RuntimeError(f"migration left rows with broken references: {orphans[:5]}")


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` (for development and tests)."""
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)
