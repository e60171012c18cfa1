"""Sources: every kind yields the same Frame; bad input fails clearly or stops where it breaks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.probe import redact_url
from pipeline.sources import (
    ImageFolderSource,
    SourceError,
    VideoFileSource,
    open_source,
)


def write_video(path: Path, frames: int = 40, fourcc: str = "MJPG") -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), 10.0, (160, 120))
    assert writer.isOpened()
    for i in range(frames):
        img = np.full((120, 160, 3), i * 5 % 255, dtype=np.uint8)
        cv2.putText(img, str(i), (40, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (0, 0, 255), 3)
        writer.write(img)
    writer.release()
    return path


def test_video_file_yields_frames_with_times(tmp_path: Path) -> None:
    src = open_source(write_video(tmp_path / "cam7.avi"))
    frames = list(src)
    assert len(frames) == 40
    assert isinstance(src, VideoFileSource)
    assert frames[0].camera_id == "cam7"
    assert [f.index for f in frames[:3]] == [0, 1, 2]
    assert frames[10].timestamp == pytest.approx(1.0)
    assert frames[0].image.shape == (120, 160, 3)
    assert src.end.complete and src.end.frames_read == 40


def test_mp4_is_read(tmp_path: Path) -> None:
    frames = list(open_source(write_video(tmp_path / "a.mp4", 12, "mp4v"), "cam"))
    assert len(frames) == 12


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        open_source(tmp_path / "nope.mp4")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        open_source(tmp_path / "empty.mp4")


def test_not_a_video(tmp_path: Path) -> None:
    bad = tmp_path / "fake.mp4"
    bad.write_bytes(b"this is a text file, not a video\n" * 200)
    with pytest.raises(SourceError, match="not a video"):
        open_source(bad)


def test_wrong_suffix_is_named(tmp_path: Path) -> None:
    doc = tmp_path / "notes.txt"
    doc.write_text("hello")
    with pytest.raises(SourceError, match="not a video file"):
        open_source(doc)


def test_unreadable_file(tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    path = write_video(tmp_path / "locked.avi", 5)
    path.chmod(0)
    with pytest.raises(SourceError, match="cannot be read"):
        open_source(path)


def test_truncated_file_yields_what_is_readable_and_says_where(tmp_path: Path) -> None:
    whole = write_video(tmp_path / "whole.avi", 60)
    data = whole.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    src = open_source(cut)
    frames = list(src)
    assert 5 < len(frames) < 60
    assert not src.end.complete
    assert f"stopped at frame {len(frames)} of 60" in src.end.reason
    assert "cut.avi" in src.end.reason


def test_image_folder_skips_bad_images_and_keeps_the_rest(tmp_path: Path) -> None:
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i:03d}.jpg"), np.full((50, 60, 3), 40 * i, np.uint8))
    (tmp_path / "001b.png").write_bytes(b"not a png")
    (tmp_path / "readme.txt").write_text("ignored")
    src = open_source(tmp_path, "folder-cam", image_fps=2.0)
    assert isinstance(src, ImageFolderSource)
    frames = list(src)
    assert [f.index for f in frames] == [0, 1, 2]
    assert frames[1].timestamp == pytest.approx(0.5)
    assert frames[2].source.endswith("002.jpg")
    assert src.end.skipped == 1 and not src.end.complete


def test_folder_without_images(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(SourceError, match="no images"):
        open_source(tmp_path)


def test_stream_that_does_not_answer_fails_clearly() -> None:
    with pytest.raises(SourceError, match="could not be opened") as info:
        open_source("rtsp://user:secret@127.0.0.1:1/cam")
    assert "secret" not in str(info.value)


def test_redact_url_hides_passwords() -> None:
    assert redact_url("rtsp://admin:pa55@10.0.0.2:554/s1") == "rtsp://admin:***@10.0.0.2:554/s1"
    assert redact_url("rtsp://10.0.0.2/s1") == "rtsp://10.0.0.2/s1"
    assert redact_url("/data/clip.mp4") == "/data/clip.mp4"
    # A password with "@" in it is hidden whole; a user without a password still gets the mask.
    assert redact_url("rtsp://u:p@ss@cam.local/s") == "rtsp://u:***@cam.local/s"
    assert redact_url("rtsp://u@cam.local/s") == "rtsp://u:***@cam.local/s"
