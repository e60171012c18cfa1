"""Every command's --help reads cleanly: no type placeholders, no raw markup, defaults shown."""

from __future__ import annotations

import re

import pytest
import typer.core
import typer.main
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
PLACEHOLDER = re.compile(r"<[A-Za-z_][A-Za-z_\[\]|, ]*>")


def _commands() -> list[tuple[str, ...]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, ...]] = [()]

    def walk(group: object, path: tuple[str, ...]) -> None:
        if isinstance(group, typer.core.TyperGroup):
            for name, sub in group.commands.items():
                found.append((*path, name))
                walk(sub, (*path, name))

    walk(root, ())
    return found


def _command(path: tuple[str, ...]) -> object:
    cmd: object = typer.main.get_command(app)
    for name in path:
        assert isinstance(cmd, typer.core.TyperGroup)
        cmd = cmd.commands[name]
    return cmd


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "entrywatch")
def test_help_snapshot_reads_cleanly(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert not PLACEHOLDER.search(text), PLACEHOLDER.search(text)
    assert "``" not in text and "[/" not in text and ":class:" not in text
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage
    cmd = _command(path)
    summary = (getattr(cmd, "help", None) or "").strip().split("\n\n")[0]
    assert "\n" not in summary, f"{' '.join(path)}: the one-line summary spans lines: {summary!r}"


def test_defaults_are_shown() -> None:
    text = runner.invoke(app, ["replay", "--help"], env={"COLUMNS": "200"}).output
    assert "[default: right]" in text and "[default: fusion]" in text
    assert "default: the camera's detect.every, 2" in text
    assert "X1,Y1,X2,Y2" in text and "ISO-TIME" in text


def test_declarations_import_help_lists_the_columns_with_an_example_row() -> None:
    text = runner.invoke(app, ["declarations", "import", "--help"], env={"COLUMNS": "250"}).output
    header = "plate,display_plate,vehicle_class,driver_name,phone,origin,destination,purpose,"
    assert header in text and "valid_from,valid_until,filed_at,filed_via" in text
    assert "75A12345,75A-123.45,car," in text
    assert "docs/DECLARATIONS_CSV.md" in text
