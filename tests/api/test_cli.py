"""``entrywatch keys create|list|revoke``: the token is printed once and stored only hashed."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from api.auth import authenticate, hash_token
from pipeline.cli import app
from store import migrate, open_store
from store.models import ApiKey


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    migrate(url)
    runner = CliRunner()
    done = runner.invoke(
        app, ["keys", "create", "--role", "operator", "--name", "Lan", "--db-url", url]
    )
    assert done.exit_code == 0, done.output
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("ew_") and len(token) == 46
    with open_store(url) as store, store.session() as session:
        row = session.scalars(select(ApiKey)).one()
        assert row.key_hash == hash_token(token) and token not in (row.key_hash, row.prefix)
        principal = authenticate(session, token)
        assert principal is not None and principal.name == "Lan"

    listed = runner.invoke(app, ["keys", "list", "--db-url", url])
    [line] = [json.loads(x) for x in listed.stdout.splitlines() if x.startswith("{")]
    assert line["role"] == "operator" and line["revoked_at"] is None
    assert token not in listed.output

    assert runner.invoke(app, ["keys", "revoke", str(line["id"]), "--db-url", url]).exit_code == 0
    assert runner.invoke(app, ["keys", "revoke", str(line["id"]), "--db-url", url]).exit_code == 1
    with open_store(url) as store, store.session() as session:
        assert authenticate(session, token) is None

    bad = runner.invoke(app, ["keys", "create", "--role", "root", "--name", "x", "--db-url", url])
    assert bad.exit_code != 0 and "role must be one of" in bad.output
