"""`streampai-cloud migrate | serve --host --port | set-plan EMAIL PLAN`; config from the env."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aiohttp import web
from sqlalchemy import update

from streampai_cloud import migrate as migrations
from streampai_cloud.access_log import AccessLogger
from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig, ConfigError
from streampai_cloud.db import accounts, create_engine
from streampai_cloud.headers import hide_server_version


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streampai-cloud",
        description="Streampai account service. Configured by DATABASE_URL "
        "(postgresql+asyncpg://...), STREAMPAI_CLOUD_SECRET and optional STREAMPAI_CLOUD_* "
        "variables.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database schema up to date")
    serve = sub.add_parser("serve", help="run one service process (stateless; run several)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    plan = sub.add_parser("set-plan", help="set an account's plan (free or pro)")
    plan.add_argument("email")
    plan.add_argument("plan", choices=["free", "pro"])
    return parser


async def _migrate(config: CloudConfig) -> None:
    engine = create_engine(config.database_url, 1)
    try:
        await migrations.upgrade(engine)
        print(f"database at revision {await migrations.current_revision(engine)}")
    finally:
        await engine.dispose()


async def _set_plan(config: CloudConfig, email: str, plan: str) -> int:
    engine = create_engine(config.database_url, 1)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(
                update(accounts).where(accounts.c.email == email.strip().lower()).values(plan=plan)
            )
    finally:
        await engine.dispose()
    if not result.rowcount:
        print(f"no account with email {email}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        config = CloudConfig.from_env()
    except ConfigError as exc:
        print(f"streampai-cloud: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "migrate":
            asyncio.run(_migrate(config))
        elif args.command == "set-plan":
            return asyncio.run(_set_plan(config, args.email, args.plan))
        else:
            hide_server_version()
            web.run_app(
                create_app(config), host=args.host, port=args.port, access_log_class=AccessLogger
            )
    except OSError as exc:
        print(
            f"streampai-cloud: cannot reach the database or bind the port: {exc}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
