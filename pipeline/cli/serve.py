"""``entrywatch serve``: the REST API, the live flag stream and the dashboard."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.options import DbUrl, migrated
from pipeline.cli.registry import CheckpointsOption, registry_file
from pipeline.config import EVIDENCE_DIR_ENV, default_evidence_dir
from store import DEFAULT_URL

log = logging.getLogger(__name__)

DEFAULT_DB = DEFAULT_URL  # the store's embedded default


def serve(
    db_url: DbUrl = DEFAULT_DB,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    evidence_root: Annotated[
        Path | None,
        typer.Option(
            "--evidence-dir",
            "--evidence-root",
            envvar=[EVIDENCE_DIR_ENV, "ENTRYWATCH_EVIDENCE_ROOT"],
            metavar="FOLDER",
            show_default=False,
            help="Evidence images root, where replay, demo and run write them. Default: "
            "out/evidence (ENTRYWATCH_EVIDENCE_DIR).",
        ),
    ] = None,
    checkpoints: CheckpointsOption = None,
    migrate_store: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Migrate the store first.")
    ] = True,
    workers: Annotated[int, typer.Option(help="Server processes.")] = 1,
) -> None:
    """Serve the REST API, the live flag stream and the dashboard (/; drivers: /declare).

    Other settings come from ENTRYWATCH_* variables (see docs/API.md).
    """
    import uvicorn

    from api.main import create_app
    from api.settings import Settings

    settings = Settings(
        db_url=db_url,
        checkpoints_file=registry_file(checkpoints),
        evidence_root=evidence_root or default_evidence_dir(),
    )
    if migrate_store:
        migrated(db_url)
    if workers > 1:
        log.warning("--workers > 1: the declaration rate limit is kept per process")
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        workers=workers,
        timeout_graceful_shutdown=2,
        log_config=None,
        access_log=False,
        # uvicorn rewrites the client address from X-Forwarded-For by default (trusting
        # loopback), which let any client pick its rate-limit address: only when configured,
        # and only from the configured proxies.
        proxy_headers=settings.trust_forwarded_for,
        forwarded_allow_ips=",".join(settings.trusted_proxies),
    )
    uvicorn.Server(config).run()
