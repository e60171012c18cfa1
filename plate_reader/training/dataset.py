"""Rendered training and validation sets, made in parallel and cached as ``.npz``.

A sample is the camera view of one random plate, already in the network's input size
(``resize_grey``: grey uint8, 64 x 128) with its label. Sample ``i`` of seed ``s`` is drawn
from ``random.Random(f"{s}:{i}")``, so a set is the same whatever the number of processes, and
a validation set (another seed, the held-out fonts) never shares a plate draw with training.
A few percent of samples are plate-free clutter labelled "" so the recogniser learns to say
nothing rather than guess on a box that holds no plate.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from plate_reader.recogniser import INPUT_HEIGHT, INPUT_WIDTH, resize_grey
from plate_reader.training.augment import _background, _optics, camera_view, degrade
from plate_reader.training.render import glyph_share, render_plate
from plate_reader.training.texts import PlateText, random_plate

log = logging.getLogger(__name__)

NEGATIVE_SHARE = 0.03


_LATER_FIELDS = frozenset({"styles", "degraded", "degraded_share", "true_glyph_px", "gap_marks"})


@dataclass(frozen=True)
class Recipe:
    """What a rendered set is made of; part of the cache key."""

    seed: int
    count: int
    fonts: tuple[str, ...]
    min_char_px: float = 6.0
    max_char_px: float = 40.0
    negatives: float = NEGATIVE_SHARE
    styles: tuple[str, ...] = ()  # only plates of these ``PlateText.style`` values ("" = all)
    degraded: bool = False  # always blur, noise and compress after the camera view
    degraded_share: float = 0.0  # or only this share of the samples
    # Character sizes are the glyphs' own height on the camera image, whatever the layout. The
    # first sets (False) sized every plate as one row, so two-row glyphs came out ~0.6x smaller.
    true_glyph_px: bool = False
    # Share of one-row plates with a sticker or emblem between their character groups.
    gap_marks: float = 0.0
    backdrops: float = 0.0  # share of US and generic plates with a printed picture behind
    emboss: float = 0.0  # share of plates with embossed characters (lit edge and shadow)

    def key(self) -> str:
        """A hash of the recipe; fields added later count only when they differ from their
        default, so caches rendered before they existed stay valid."""
        import dataclasses
        import hashlib

        parts = [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if f.name not in _LATER_FIELDS or getattr(self, f.name) != f.default
        ]
        return hashlib.sha256(f"Recipe({', '.join(parts)})".encode()).hexdigest()[:12]


@lru_cache(maxsize=1)
def scene_images() -> tuple[np.ndarray, ...]:
    """Real photos to mount plates on, from packages already installed (no download)."""
    import importlib.util

    found: list[np.ndarray] = []
    spec = importlib.util.find_spec("ultralytics")
    if spec and spec.origin:
        assets = Path(spec.origin).parent / "assets"
        for name in ("bus.jpg", "zidane.jpg"):
            image = cv2.imread(str(assets / name))
            if image is not None:
                found.append(image[..., ::-1].copy())  # RGB, like the renderer
    return tuple(found)


def _draw_plate(rng: random.Random, recipe: Recipe) -> PlateText:
    plate = random_plate(rng)
    while recipe.styles and plate.style not in recipe.styles:
        plate = random_plate(rng)
    return plate


def sample_plate(recipe: Recipe, index: int) -> PlateText | None:
    """The plate that sample ``index`` of ``recipe`` shows (None: a plate-free sample), drawn
    the way ``render_view`` draws it but without rendering: its style and rows, for benches
    that split their figures by layout."""
    rng = random.Random(f"{recipe.seed}:{index}")
    if rng.random() < recipe.negatives:
        return None
    return _draw_plate(rng, recipe)


def render_view(recipe: Recipe, index: int) -> tuple[np.ndarray, str]:
    """Sample ``index`` of ``recipe`` at camera resolution (BGR) and its label."""
    rng = random.Random(f"{recipe.seed}:{index}")
    scenes = list(scene_images())
    if rng.random() < recipe.negatives:
        h = rng.randint(16, 120)
        return _optics(rng, _background(rng, h, int(h * rng.uniform(1.2, 5)), scenes)), ""
    plate = _draw_plate(rng, recipe)
    font = Path(rng.choice(recipe.fonts))
    flat = render_plate(
        plate,
        font,
        rng,
        scale=rng.uniform(0.8, 1.6),
        gap_marks=recipe.gap_marks,
        backdrops=recipe.backdrops,
        emboss=recipe.emboss,
    )
    view = camera_view(
        rng,
        flat,
        scenes,
        min_char_px=recipe.min_char_px,
        max_char_px=recipe.max_char_px,
        glyph_share=glyph_share(plate) if recipe.true_glyph_px else 0.6,
    )
    # ``rng`` is drawn from only when a share is set, so older recipes render as they did.
    if recipe.degraded or (recipe.degraded_share and rng.random() < recipe.degraded_share):
        view = degrade(rng, view)
    return view, plate.label


def render_sample(recipe: Recipe, index: int) -> tuple[np.ndarray, str]:
    """Sample ``index`` of ``recipe`` in the network's input size, and its label."""
    view, label = render_view(recipe, index)
    return resize_grey(view), label


def _render_range(args: tuple[Recipe, int, int]) -> tuple[np.ndarray, list[str]]:
    recipe, start, stop = args
    images = np.empty((stop - start, INPUT_HEIGHT, INPUT_WIDTH), np.uint8)
    labels: list[str] = []
    for j, i in enumerate(range(start, stop)):
        images[j], label = render_sample(recipe, i)
        labels.append(label)
    return images, labels


def render_set(
    recipe: Recipe, cache_dir: Path | None = None, workers: int = 2
) -> tuple[np.ndarray, list[str]]:
    """All samples of ``recipe`` (cached under ``cache_dir`` by the recipe's key)."""
    path = cache_dir / f"plates-{recipe.key()}.npz" if cache_dir else None
    if path and path.is_file():
        data = np.load(path)
        return data["images"], [str(s) for s in data["labels"]]
    chunk = 500
    ranges = [(recipe, s, min(recipe.count, s + chunk)) for s in range(0, recipe.count, chunk)]
    images: list[np.ndarray] = []
    labels: list[str] = []
    if workers > 1 and len(ranges) > 1:
        with ProcessPoolExecutor(workers) as pool:
            for done, (imgs, labs) in enumerate(pool.map(_render_range, ranges), 1):
                images.append(imgs)
                labels.extend(labs)
                if done % 20 == 0:
                    log.info("rendered %d / %d", done * chunk, recipe.count)
    else:
        for r in ranges:
            imgs, labs = _render_range(r)
            images.append(imgs)
            labels.extend(labs)
    stacked = np.concatenate(images) if images else np.empty((0, INPUT_HEIGHT, INPUT_WIDTH))
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, images=stacked, labels=np.array(labels))
    return stacked, labels


def fonts_as_strings(fonts: Sequence[Path]) -> tuple[str, ...]:
    return tuple(str(f) for f in fonts)
