"""Fetching the Fontsource training faces: pinned by the registry's integrity, one WOFF each,
never half a file. A local registry (a folder behind a file:// URL) stands in for npm's."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from plate_reader.training import fonts, fontsource


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _registry(root: Path, package: str, version: str, data: bytes) -> str:
    folder = root / "@fontsource" / package / "-"
    folder.mkdir(parents=True)
    (folder / f"{package}-{version}.tgz").write_bytes(data)
    return root.as_uri()


@pytest.fixture
def font_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "fonts"
    monkeypatch.setenv(fontsource.FONT_DIR_ENV, str(target))
    return target


def test_fetch_keeps_the_pinned_weight_once(
    tmp_path: Path, font_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    woff = b"wOFF the bold face"
    data = _tarball(
        {
            "package/files/demo-latin-700-normal.woff": woff,
            "package/files/demo-latin-400-normal.woff": b"wOFF the regular face",
        }
    )
    registry = _registry(tmp_path / "registry", "demo", "1.0.0", data)
    monkeypatch.setattr(fontsource, "PACKAGES", (("demo", "1.0.0", 700, _integrity(data)),))
    assert fontsource.fetch(registry) == [font_dir / "demo-700.woff"]
    assert (font_dir / "demo-700.woff").read_bytes() == woff
    assert sorted(p.name for p in font_dir.iterdir()) == ["demo-700.woff"]
    assert fontsource.fetch(registry) == []  # already there: nothing downloaded


def test_a_download_that_is_not_the_pinned_one_is_refused_and_not_kept(
    tmp_path: Path, font_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _tarball({"package/files/demo-latin-700-normal.woff": b"wOFF"})
    registry = _registry(tmp_path / "registry", "demo", "1.0.0", data)
    pinned = _integrity(b"another tarball")
    monkeypatch.setattr(fontsource, "PACKAGES", (("demo", "1.0.0", 700, pinned),))
    with pytest.raises(RuntimeError, match=r"@fontsource/demo@1\.0\.0.*pinned"):
        fontsource.fetch(registry)
    assert not list(font_dir.iterdir())


def test_a_package_without_the_weight_or_a_missing_package_is_named(
    tmp_path: Path, font_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _tarball({"package/files/demo-latin-400-normal.woff": b"wOFF"})
    registry = _registry(tmp_path / "registry", "demo", "1.0.0", data)
    monkeypatch.setattr(fontsource, "PACKAGES", (("demo", "1.0.0", 700, _integrity(data)),))
    with pytest.raises(RuntimeError, match=r"demo-latin-700-normal\.woff"):
        fontsource.fetch(registry)
    monkeypatch.setattr(fontsource, "PACKAGES", (("absent", "1.0.0", 700, _integrity(data)),))
    with pytest.raises(RuntimeError, match=r"@fontsource/absent@1\.0\.0"):
        fontsource.fetch(registry)


def test_training_names_find_fetched_faces_and_say_how_to_fetch_missing_ones(
    font_dir: Path,
) -> None:
    name = fontsource.NAMES[0]
    assert name in fonts.TRAIN_FONTS
    with pytest.raises(FileNotFoundError, match=r"python -m plate_reader\.training\.fontsource"):
        fonts.require((name,))
    font_dir.mkdir()
    fontsource.locate(name).write_bytes(b"wOFF")
    assert fonts.available((name,)) == [font_dir / name.removeprefix(fontsource.PREFIX)]
    # The pinned table has one face per package, and none of the held-out validation faces.
    assert len({p for p, *_ in fontsource.PACKAGES}) == len(fontsource.PACKAGES)
    assert not {"noto-sans", "b612", "freesans"} & {p for p, *_ in fontsource.PACKAGES}
