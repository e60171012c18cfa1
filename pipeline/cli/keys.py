"""``entrywatch keys create|revoke|list``.

A new key's token is printed once, on stdout, and never logged; only its hash is stored.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from sqlalchemy import select

from pipeline.cli.options import DbUrl, migrated
from pipeline.jsonl import write_jsonl
from store import DEFAULT_URL

log = logging.getLogger(__name__)

keys_app = typer.Typer(help="API keys: create, revoke, list.", no_args_is_help=True)

DEFAULT_DB = DEFAULT_URL  # the store's embedded default


@keys_app.command("create")
def create(
    role: Annotated[str, typer.Option(help="admin, operator or integrator.")],
    name: Annotated[str, typer.Option(help="Who holds the key; audit rows name them.")],
    db_url: DbUrl = DEFAULT_DB,
) -> None:
    """Create a key and print its token once (stdout); store only its hash."""
    from api.auth import Role, create_key
    from store import open_store

    try:
        wanted = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise typer.BadParameter(f"role must be one of {roles}") from None
    if not name.strip() or len(name) > 128:
        raise typer.BadParameter("name must be 1-128 characters")
    migrated(db_url)
    with open_store(db_url) as store, store.transaction() as session:
        row, token = create_key(session, name.strip(), wanted)
        key_id = row.id
    log.info("created %s key #%d for %s", wanted.value, key_id, name)
    sys.stdout.write(token + "\n")


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[int, typer.Argument(metavar="KEY_ID", help="Key id (from keys list).")],
    db_url: DbUrl = DEFAULT_DB,
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    from store import open_store
    from store.writes import revoke_api_key

    migrated(db_url)
    with open_store(db_url) as store, store.transaction() as session:
        done = revoke_api_key(session, key_id)
    if not done:
        log.error("no active key #%d", key_id)
        raise typer.Exit(1)
    log.info("revoked key #%d", key_id)


@keys_app.command("list")
def list_keys(db_url: DbUrl = DEFAULT_DB) -> None:
    """One JSON line per key: id, name, role, created, revoked (never the token or hash)."""
    from store import open_store
    from store.models import ApiKey

    migrated(db_url)
    with open_store(db_url) as store, store.session() as session:
        for key in session.scalars(select(ApiKey).order_by(ApiKey.id)):
            line = {
                "id": key.id,
                "name": key.name,
                "role": key.role,
                "created_at": key.created_at.isoformat(),
                "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
            }
            write_jsonl(sys.stdout, line)
