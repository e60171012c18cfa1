"""Hostile files and ids (issue 13): accented file names become camera ids instead of aborting a
replay, images declaring too many pixels are refused from their header, and an entry's evidence
ids must name a JPEG in its own camera's folder."""

from __future__ import annotations

import json
import re
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from matcher.decode import Rejected, decode_entry
from pipeline.bus import Message
from pipeline.cli.replay import cameras_for
from pipeline.config import slug_camera_id
from pipeline.images import ImageTooLarge, check_pixels
from pipeline.sources import ImageFolderSource
from tests.matcher.factories import make_event


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("ố clip với dấu cách", "o_clip_voi_dau_cach"),
        ("Đường Huế", "Duong_Hue"),
        ("cam-1.north", "cam-1.north"),
        ("???", "camera"),
        ("x" * 300, "x" * 128),
    ],
)
def test_camera_ids_from_names_are_ascii_slugs(name: str, slug: str) -> None:
    assert slug_camera_id(name) == slug


def test_an_accented_file_name_does_not_abort_the_replay() -> None:
    files = [Path("ố clip với dấu cách.mp4"), Path("plain.mp4")]
    cams = cameras_for(files, None, "0,430,1280,430", "right", "cp", "vn", None)
    assert [c.camera_id for c in cams] == ["o_clip_voi_dau_cach", "plain"]


def png_header(path: Path, width: int, height: int) -> Path:
    """A tiny PNG that declares ``width`` x ``height`` (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def test_an_image_over_the_pixel_limit_is_refused_from_its_header(tmp_path: Path) -> None:
    bomb = png_header(tmp_path / "bomb.png", 20000, 20000)
    assert bomb.stat().st_size < 1000
    with pytest.raises(ImageTooLarge, match="400 megapixels, over the limit of 50"):
        check_pixels(bomb)
    check_pixels(bomb, limit=500_000_000)  # a higher limit lets it through


def test_the_limit_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = tmp_path / "small.png"
    cv2.imwrite(str(image), np.zeros((100, 100, 3), np.uint8))
    check_pixels(image)
    monkeypatch.setenv("ENTRYWATCH_MAX_IMAGE_PIXELS", "5000")
    with pytest.raises(ImageTooLarge):
        check_pixels(image)


def test_an_image_folder_skips_the_bomb_and_says_so(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.jpg"), np.zeros((40, 60, 3), np.uint8))
    png_header(tmp_path / "b.png", 20000, 20000)
    source = ImageFolderSource(tmp_path, "cam-1")
    frames = list(source)
    assert len(frames) == 1
    assert source.end.skipped == 1 and not source.end.complete


def entry_with(**evidence: str) -> bytes:
    doc = json.loads(make_event("75A12345", camera_id="cam-1").model_dump_json())
    doc["evidence"] = evidence
    return json.dumps(doc).encode()


def decode(value: bytes) -> object:
    return decode_entry(Message("entries", 0, 0, "k", value, datetime.now(UTC)))


@pytest.mark.parametrize(
    "evidence_id",
    [
        "../../api/declarations/1",
        "cam-1/../../secret.jpg",
        "/etc/passwd.jpg",
        "other-cam/x.jpg",
        "cam-1/x.png",
        "cam-1/sub/x.jpg",
        "cam-1/" + "a" * 300 + ".jpg",
        "cam-1/x.jpg?q=1",
    ],
)
def test_entries_with_foreign_evidence_ids_are_dead_lettered(evidence_id: str) -> None:
    for field in ("plate_crop", "vehicle_snapshot"):
        decoded = decode(entry_with(**{field: evidence_id}))
        assert isinstance(decoded, Rejected), (field, evidence_id)
        assert "evidence" in decoded.reason


def test_own_evidence_ids_are_accepted() -> None:
    decoded = decode(entry_with(plate_crop="cam-1/e1-plate.jpg", vehicle_snapshot="cam-1/e1.jpg"))
    assert not isinstance(decoded, Rejected), decoded


def test_the_dashboard_fetches_only_what_the_matcher_accepts() -> None:
    """Entries stored before the evidence check may hold any id: the dashboard applies the same
    pattern before fetching, so a stored ``../../api/declarations/1`` is never requested."""
    from pipeline.events import EVIDENCE_ID

    app_js = (Path(__file__).parents[2] / "api" / "static" / "app.js").read_text()
    [js] = re.findall(r"const EVIDENCE_ID = /\^(.+)\$/;", app_js)
    assert js.replace("\\/", "/") == EVIDENCE_ID.pattern
