"""The reader with the real models: synthetic Vietnamese plates and one openalpr photo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "openalpr-us"


def _font(size: int):  # type: ignore[no-untyped-def]
    import matplotlib
    from PIL import ImageFont

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    return ImageFont.truetype(str(path), size)


def render_plate(rows: list[str], width: int, height: int) -> np.ndarray:
    """A white plate with a black frame and centred black rows of text, as BGR."""
    from PIL import Image, ImageDraw

    plate = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(plate)
    draw.rectangle([3, 3, width - 4, height - 4], outline="black", width=4)
    size = int(height * (0.62 if len(rows) == 1 else 0.36))
    font = _font(size)
    row_h = height / len(rows)
    for i, text in enumerate(rows):
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        x = (width - (right - left)) / 2 - left
        y = row_h * i + (row_h - (bottom - top)) / 2 - top
        draw.text((x, y), text, fill="black", font=font)
    return np.asarray(plate)[:, :, ::-1].copy()


def on_scene(plate: np.ndarray, at: tuple[int, int] = (180, 260)) -> np.ndarray:
    """The plate pasted on a grey, slightly noisy 640x480 'car'."""
    rng = np.random.default_rng(0)
    scene = rng.normal(90, 12, size=(480, 640, 3)).clip(0, 255).astype(np.uint8)
    scene[200:420, 100:540] = (40, 40, 160)  # a red car body around the plate
    y, x = at
    h, w = plate.shape[:2]
    scene[y : y + h, x : x + w] = plate
    return scene


@pytest.fixture(scope="module")
def vn_reader():  # type: ignore[no-untyped-def]
    from plate_reader.reader import PlateReader

    return PlateReader(profile="vn")


def test_one_line_vn_plate_crop(vn_reader) -> None:  # type: ignore[no-untyped-def]
    read = vn_reader.read_crop(render_plate(["75A-123.45"], 470, 110))
    assert read is not None
    assert read.text == "75A12345"
    assert read.valid
    assert read.display == "75A-123.45"
    assert not read.two_line


def test_two_line_vn_motorbike_plate_crop(vn_reader) -> None:  # type: ignore[no-untyped-def]
    read = vn_reader.read_crop(render_plate(["75-B1", "234.56"], 190, 140))
    assert read is not None
    assert read.text == "75B123456"
    assert read.valid
    assert read.two_line
    assert read.display == "75-B1 234.56"


def test_vn_plate_found_in_a_scene(vn_reader) -> None:  # type: ignore[no-untyped-def]
    scene = on_scene(render_plate(["75A-123.45"], 240, 56))
    reads = vn_reader.read(scene)
    assert reads, "the plate detector found no plate on the synthetic scene"
    best = reads[0]
    assert best.text == "75A12345"
    x1, y1, x2, y2 = best.box
    assert x1 < 300 < x2 and y1 < 208 < y2  # the box is on the pasted plate (image pixels)
    assert reads == sorted(
        reads, key=lambda r: r.confidence * vn_reader.profile.score(r.text), reverse=True
    )


@pytest.mark.skipif(not DATA.is_dir(), reason="openalpr-us data folder absent")
def test_openalpr_photo() -> None:
    import cv2

    from plate_reader.reader import PlateReader
    from plate_reader.still import describe_image

    label = DATA / "0b86cecf-67d1-4fc0-87c9-b36b0ee228bb.txt"
    name, x, y, _w, _h, plate = label.read_text().strip().split("\t")
    reader = PlateReader(profile="generic")
    out = describe_image(DATA / name, reader)
    assert out["image"] == str(DATA / name)
    assert out["plates"], "no plate read"
    top = out["plates"][0]
    assert set(top) == {"plate", "display", "confidence", "box", "valid", "raw"}
    assert top["plate"] == plate
    x1, y1, _x2, _y2 = top["box"]
    assert abs(x1 - int(x)) < 30 and abs(y1 - int(y)) < 30
    assert cv2.imread(str(DATA / name)) is not None


def test_describe_image_rejects_unreadable_file(tmp_path: Path) -> None:
    from plate_reader.reader import PlateReader
    from plate_reader.still import describe_image

    bad = tmp_path / "not-an-image.jpg"
    bad.write_text("hello")
    with pytest.raises(ValueError, match=r"not-an-image\.jpg"):
        describe_image(bad, PlateReader())
