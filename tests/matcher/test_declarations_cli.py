"""``entrywatch declarations import``: the per-row report, and late declarations settling open
flags (with the resolution published on the flags topic)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from matcher import MatcherService
from pipeline.bus import Bus, Topics, publish_event
from pipeline.cli import app
from store import Store
from store.models import Declaration, Flag, FlagAudit
from tests.matcher.conftest import consume, drain, validated_flags
from tests.matcher.factories import T0, make_event
from tests.store.csv_samples import HEADER, row

runner = CliRunner()


def write_csv(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_bad_rows_are_reported_with_line_numbers_and_good_rows_kept(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    csv_file = write_csv(
        tmp_path / "decl.csv",
        row("75A-111.11"),
        row("75A-222.22", valid_until="2026-07-01T05:00:00+07:00"),  # ends before it starts
        row("75A-333.33"),
        row("??", checkpoints="*"),  # no plate
    )
    result = runner.invoke(app, ["declarations", "import", str(csv_file), "--db", db_url])
    assert result.exit_code == 1, result.output
    assert f"{csv_file}:3:" in result.output and "valid_until" in result.output
    assert f"{csv_file}:5:" in result.output and "plate" in result.output
    assert "2 imported, 2 rejected" in result.output
    with store.session() as session:
        plates = set(session.scalars(select(Declaration.plate_normalised)))
    assert plates == {"75A11111", "75A33333"}


def test_unreadable_file_stores_nothing(store: Store, db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("plate,when\n75A11111,now\n", encoding="utf-8")
    result = runner.invoke(app, ["declarations", "import", str(bad), "--db", db_url])
    assert result.exit_code == 2
    assert "wrong header" in result.output


def test_late_declaration_resolves_the_open_flag_and_publishes_it(
    bus: Bus,
    store: Store,
    db_url: str,
    kafka_topics: Topics,
    make_service: Callable[..., MatcherService],
    kafka_broker,
    tmp_path: Path,
) -> None:
    late, other = make_event("75A77777"), make_event("75A88888")
    for event in (late, other):
        publish_event(bus, kafka_topics, event)
    bus.flush(30)
    service = make_service()
    assert drain(service, 2) == 2
    opened = validated_flags(consume(bus, kafka_topics.flags, 2))
    assert {f["reason"] for f in opened} == {"undeclared"}
    service.close()  # no matcher running: the command's own relay publishes the resolution

    # Filed 20 minutes after the crossing (T0 = 08:00 UTC = 15:00 in Huế), valid from before it.
    csv_file = write_csv(
        tmp_path / "late.csv",
        row(
            "75A-777.77",
            valid_from="2026-07-01T14:00:00+07:00",
            valid_until="2026-07-01T20:00:00+07:00",
            filed_at="2026-07-01T15:20:00+07:00",
        ),
    )
    result = runner.invoke(
        app,
        ["declarations", "import", str(csv_file), "--db", db_url, "--bus", kafka_broker.url,
         "--topic-prefix", kafka_topics.entries.removesuffix(Topics().entries)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "resolved 1 open flags" in result.output
    assert "published 1 flag changes from the outbox" in result.output

    with store.session() as session:
        flags = {f.event_id: f for f in session.scalars(select(Flag))}
        audits = session.scalar(
            select(func.count()).select_from(FlagAudit).where(FlagAudit.action == "resolved")
        )
    assert flags[late.event_id].status == "resolved"
    assert flags[late.event_id].resolution_outcome == "declared_late"
    assert flags[other.event_id].status == "open"
    assert audits == 1

    values = validated_flags(consume(bus, kafka_topics.flags, 3))
    resolved = [v for v in values if v["status"] == "resolved"]
    assert len(resolved) == 1
    r = resolved[0]
    assert r["event_id"] == late.event_id and r["plate"] == "75A77777"
    assert r["flag_id"] == flags[late.event_id].id
    assert r["resolution"]["outcome"] == "declared_late"
    assert r["resolution"]["actor"] == "system"
    assert isinstance(r["resolution"]["declaration_id"], int)
    assert r["crossed_at"].startswith(T0.strftime("%Y-%m-%dT%H:%M"))


def test_rows_naming_a_checkpoint_the_registry_lacks_are_rejected(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    registry = tmp_path / "checkpoints.yaml"
    registry.write_text(
        "checkpoints:\n  - {code: QL1A-HAI-VAN, name_vi: Hải Vân, name_en: Hai Van}\n",
        encoding="utf-8",
    )
    csv_file = write_csv(
        tmp_path / "decl.csv",
        row("75A-111.11", checkpoints="ql1a-hai-van"),
        row("75A-222.22", checkpoints="Phong Điền"),
    )
    args = ["declarations", "import", str(csv_file), "--db", db_url]
    result = runner.invoke(app, [*args, "--checkpoints", str(registry)])
    assert result.exit_code == 1, result.output
    assert f"{csv_file}:3: rejected: checkpoints: unknown checkpoint 'Phong Điền'" in result.output
    assert "known: QL1A-HAI-VAN" in result.output
    with store.session() as session:
        stored = session.execute(
            select(Declaration.plate_normalised, Declaration.checkpoints)
        ).all()
    assert [tuple(r) for r in stored] == [("75A11111", ["QL1A-HAI-VAN"])]

    broken = tmp_path / "broken.yaml"
    broken.write_text("checkpoints: [{code: A}]\n", encoding="utf-8")
    bad = runner.invoke(app, [*args, "--checkpoints", str(broken)])
    assert bad.exit_code == 2 and "broken.yaml: checkpoints.0.name_vi: Field required" in bad.output
