"""Pure CSV parsing: no database."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from store import DeclarationsFileError, parse_declarations_csv
from store.csv_import import parse_time_zone
from tests.store.csv_samples import HEADER, row, write_csv

ICT = timezone(timedelta(hours=7))


def test_good_rows(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        row(),
        row("75-B1 123.45", checkpoints="CP-PHONG-DIEN; CP-HAI-VAN", vehicle_class="motorcycle"),
    )
    rows, errors = parse_declarations_csv(path)
    assert errors == []
    assert [r.line for r in rows] == [2, 3]
    first, second = (r.declaration for r in rows)
    assert first.plate == "75A12345"
    assert first.plate_display == "75A-123.45"
    assert first.checkpoints is None  # "*" = any
    assert first.valid_from == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert first.driver_name == "Nguyễn Văn A"
    assert second.plate == "75B112345"
    assert second.checkpoints == frozenset({"CP-PHONG-DIEN", "CP-HAI-VAN"})


def test_defaults_for_empty_optional_columns(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        row(display="", vehicle_class="", driver="", phone="", filed_at="", filed_via=""),
    )
    before = datetime.now(UTC)
    [parsed], errors = parse_declarations_csv(path)
    assert errors == []
    d = parsed.declaration
    assert d.plate_display is None and d.driver_phone is None
    assert d.filed_via == "csv"
    assert d.filed_at >= before


def test_columns_in_any_order_and_bom(tmp_path: Path) -> None:
    cols = HEADER.split(",")
    values = row().split(",")
    order = list(reversed(range(len(cols))))
    text = ",".join(cols[i] for i in order) + "\n" + ",".join(values[i] for i in order) + "\n"
    path = tmp_path / "d.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    rows, errors = parse_declarations_csv(path)
    assert errors == [] and rows[0].declaration.plate == "75A12345"


def test_bad_rows_are_reported_with_line_numbers(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        row(),  # line 2: good
        row("??-"),  # 3: bad plate
        row(valid_from="yesterday"),  # 4: bad time
        row(valid_until="2026-07-01T18:00:00"),  # 5: naive time
        row(valid_until="2026-07-01T05:00:00+07:00"),  # 6: until before from
        "75A12345,75A-123.45,car",  # 7: missing columns
        "",  # 8: blank line, ignored
        row(checkpoints=""),  # 9: no checkpoints
        row(phone="call me"),  # 10: bad phone
        row(vehicle_class="tank"),  # 11: unknown class
        row("43A99999"),  # 12: good
    )
    rows, errors = parse_declarations_csv(path)
    assert [r.line for r in rows] == [2, 12]
    by_line = {e.line: e.reason for e in errors}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 9, 10, 11]
    assert by_line[3].startswith("plate:")
    assert by_line[4].startswith("valid_from:")
    assert "timezone" in by_line[5] and by_line[5].startswith("valid_until:")
    assert "not after" in by_line[6]
    assert "expected 13 columns, found 3" in by_line[7]
    assert by_line[9].startswith("checkpoints:")
    assert by_line[10].startswith("phone:")
    assert by_line[11].startswith("vehicle_class:")


def test_line_numbers_count_quoted_newlines(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        row(purpose='"visit\nfamily"'.replace('"', "")).replace("visit\nfamily", '"visit\nfamily"'),
        row("??"),
    )
    rows, errors = parse_declarations_csv(path)
    assert rows[0].line == 2 and rows[0].declaration.purpose == "visit\nfamily"
    assert [e.line for e in errors] == [4]


def test_naive_times_with_assumed_zone(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        row(valid_from="2026-07-01T06:00:00", valid_until="2026-07-01 18:00", filed_at=""),
    )
    [parsed], errors = parse_declarations_csv(path, assume_tz=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert errors == []
    assert parsed.declaration.valid_from == datetime(2026, 7, 1, 6, 0, tzinfo=ICT)
    assert parsed.declaration.valid_until == datetime(2026, 7, 1, 18, 0, tzinfo=ICT)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DeclarationsFileError, match=r"nope\.csv: no such file"):
        parse_declarations_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (HEADER.replace(",phone", ""), "missing phone"),
        (HEADER.replace("phone", "telephone"), "unknown 'telephone'"),
        (HEADER + ",plate", "repeated plate"),
        ("hello world", "missing plate"),
    ],
)
def test_wrong_header(tmp_path: Path, header: str, problem: str) -> None:
    path = write_csv(tmp_path / "d.csv", row(), header=header)
    with pytest.raises(DeclarationsFileError, match="wrong header") as info:
        parse_declarations_csv(path)
    assert str(path) in str(info.value) and problem in str(info.value)


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(DeclarationsFileError, match=r"empty\.csv: empty file"):
        parse_declarations_csv(path)


def test_header_only_is_no_rows(tmp_path: Path) -> None:
    assert parse_declarations_csv(write_csv(tmp_path / "d.csv")) == ([], [])


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "cp1258.csv"
    path.write_bytes((HEADER + "\n" + row()).encode("cp1258", errors="replace") + b"\xff\xfe")
    with pytest.raises(DeclarationsFileError, match=r"cp1258\.csv: not UTF-8"):
        parse_declarations_csv(path)


def test_binary_file_is_not_csv(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(DeclarationsFileError, match=r"photo\.csv"):
        parse_declarations_csv(path)


@pytest.mark.parametrize("name", ["Mars/Olympus", "Asia", "../etc/passwd", ""])
def test_a_time_zone_that_is_none_is_one_value_error(name: str) -> None:
    assert str(parse_time_zone("Asia/Ho_Chi_Minh")) == "Asia/Ho_Chi_Minh"
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_time_zone(name)
