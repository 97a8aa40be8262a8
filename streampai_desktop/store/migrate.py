"""Alembic, driven from code: the scripts ship inside the package, no ``alembic.ini`` needed."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
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
    config = Config()
    # ConfigParser treats "%" as interpolation; a data folder may well contain one.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    """Our migration scripts."""
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The revision this version of the app expects."""
    head = script_directory().get_current_head()
    if head is None:  # only possible if the versions folder went missing from the build
        raise RuntimeError(f"no migration scripts found in {MIGRATIONS_DIR}")
    return head


def known_revisions() -> set[str]:
    """Every revision id our scripts know (anything else was written by a newer app)."""
    return {script.revision for script in script_directory().walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database Alembic never touched."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` in one transaction (all or nothing).

    Run it on an engine with foreign keys off (see :mod:`~streampai_desktop.store.startup`);
    the keys are checked here before committing, so a migration can't leave orphans behind.
    """
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
        orphans = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if orphans:
            raise RuntimeError(f"migration left rows with broken references: {orphans[:5]}")


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` (for development and tests)."""
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)
