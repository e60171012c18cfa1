"""How small a plate can be and still be read: exact match by character height, through a
plain camera and a cheap one.

    python -m bench.plate_distance [--px 6,8,10,12,14,16,20,24,32] [--plates 300]
                                   [--ocr crnn --ocr fusion] [--model candidate.onnx]

A camera's distance and lens come down, for the reader, to how many pixels high the characters
are on the image (the glyphs' own height: one row of a two-row plate, as for a one-row plate).
For each height, the same rendered plates (one seed, the held-out faces, every plate family;
``auto`` profile) are drawn at exactly that height, so along a column only the height changes:

- ``plain``: the training's camera view (perspective, loose or tight box, and at random motion
  blur or defocus, night or glare, sensor noise, JPEG);
- ``cheap``: the same views with the extra defocus, sensor noise and JPEG 20-50 of the accuracy
  bench's ``degraded`` set (which draws its plates at 8-14 px through this cheap camera).

Each cell is split into one-row and two-row plates. The summary line per column is the smallest
height from which every height read at least 95 % and 80 % (what to ask of a camera's placement).
The seed (6001) is neither the training's nor the accuracy bench's.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")

log = logging.getLogger(__name__)

SEED = 6001
CAMERAS = ("plain", "cheap")
DEFAULT_PX = (6, 8, 10, 12, 14, 16, 20, 24, 32)
TARGETS = (0.95, 0.80)


def recipe(px: float, plates: int, camera: str) -> Any:
    """Every plate of the set at ``px`` high characters (``min = max``: no size is drawn)."""
    from plate_reader.training import fonts
    from plate_reader.training.dataset import Recipe, fonts_as_strings

    return Recipe(
        SEED,
        plates,
        fonts_as_strings(fonts.require_held_out()),
        min_char_px=float(px),
        max_char_px=float(px),
        negatives=0.0,
        degraded=camera == "cheap",
        true_glyph_px=True,
    )


def _views(args: tuple[Any, int, int]) -> list[Any]:
    from plate_reader.training.dataset import render_view

    rec, start, stop = args
    return [render_view(rec, i)[0] for i in range(start, stop)]


def render(rec: Any, pool: ProcessPoolExecutor) -> list[Any]:
    """The camera views of ``rec``, rendered across the pool in chunks (same views whatever
    the number of processes: each sample has its own seed)."""
    chunk = 50
    ranges = [(rec, s, min(rec.count, s + chunk)) for s in range(0, rec.count, chunk)]
    return [view for part in pool.map(_views, ranges) for view in part]


def drawn_plates(plates: int) -> list[Any]:
    """The plate each sample shows: the same at every height and through either camera."""
    from plate_reader.training.dataset import sample_plate

    rec = recipe(DEFAULT_PX[0], plates, "plain")
    return [sample_plate(rec, i) for i in range(plates)]


def score(readings: Sequence[str], truths: Sequence[str], rows: Sequence[int]) -> dict[str, Any]:
    """Exact match over all plates, and over one-row and two-row plates apart."""

    def share(keep: Sequence[bool]) -> dict[str, Any]:
        hits = [r == t for r, t, k in zip(readings, truths, keep, strict=True) if k]
        return {"n": len(hits), "exact": sum(hits) / len(hits) if hits else None}

    return {
        "all": share([True] * len(rows)),
        "one_row": share([r == 1 for r in rows]),
        "two_row": share([r == 2 for r in rows]),
    }


def smallest_reliable(cells: dict[float, float], target: float) -> float | None:
    """The smallest height from which every measured height reads at least ``target``; None
    when even the largest does not."""
    found = None
    for px in sorted(cells, reverse=True):
        if cells[px] < target:
            break
        found = px
    return found


def measure(
    heights: Sequence[float], plates: int, ocrs: Sequence[str], workers: int = 2
) -> list[dict[str, Any]]:
    from bench.plate_accuracy import make_reader

    drawn = drawn_plates(plates)
    truths = [plate.label if plate else "" for plate in drawn]
    rows = [len(plate.rows) if plate else 0 for plate in drawn]
    results = []
    with ProcessPoolExecutor(workers) as pool:
        # Start the renderers before the models load: forking a process that already runs
        # onnxruntime's threads is not safe. With fork, the pool starts all its processes at
        # its first task.
        pool.submit(int).result()
        readers = {ocr: make_reader(ocr, "auto") for ocr in ocrs}
        for camera in CAMERAS:
            for px in heights:
                rec = recipe(px, plates, camera)
                views = render(rec, pool)
                for ocr, reader in readers.items():
                    reads = [reader.read_crop(view) for view in views]
                    readings = [read.text if read else "" for read in reads]
                    cell = score(readings, truths, rows)
                    results.append({"camera": camera, "px": px, "ocr": ocr, **cell})
                    log.info(
                        "%s %s px %s: exact %.1f%%", camera, px, ocr, 100 * cell["all"]["exact"]
                    )
    return results


def markdown(results: list[dict[str, Any]]) -> str:
    """One row per height; per camera and recogniser the exact share (one-row / two-row)."""
    columns = sorted(
        {(r["camera"], r["ocr"]) for r in results}, key=lambda c: (CAMERAS.index(c[0]), c[1])
    )
    cell = {(r["camera"], r["ocr"], r["px"]): r for r in results}
    head = (
        "| char px | " + " | ".join(f"{cam}, {ocr} (1-row / 2-row)" for cam, ocr in columns) + " |"
    )
    lines = [head, "|---:|" + "---:|" * len(columns)]

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value:.0%}"

    for px in sorted({r["px"] for r in results}):
        parts = []
        for cam, ocr in columns:
            r = cell.get((cam, ocr, px))
            parts.append(
                "–"
                if r is None
                else f"**{pct(r['all']['exact'])}** ({pct(r['one_row']['exact'])} / "
                f"{pct(r['two_row']['exact'])})"
            )
        lines.append(f"| {px:g} | " + " | ".join(parts) + " |")
    for target in TARGETS:
        parts = []
        for cam, ocr in columns:
            exact = {
                r["px"]: r["all"]["exact"] for r in results if (r["camera"], r["ocr"]) == (cam, ocr)
            }
            px = smallest_reliable(exact, target)
            parts.append("none measured" if px is None else f"≥ {px:g} px")
        lines.append(f"| ≥ {target:.0%} from | " + " | ".join(parts) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from bench.machine import machine
    from bench.plate_accuracy import OCRS, recogniser_identity

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--px",
        default=",".join(str(p) for p in DEFAULT_PX),
        help="character heights in pixels, comma-separated",
    )
    parser.add_argument("--plates", type=int, default=300, help="plates per height and camera")
    parser.add_argument(
        "--ocr", action="append", choices=OCRS, help="repeatable; default: crnn and fusion"
    )
    parser.add_argument("--model", type=Path, help="a candidate recogniser (.onnx)")
    parser.add_argument("--workers", type=int, default=2, help="rendering processes")
    parser.add_argument("--out", type=Path, default=Path("out/bench/plate_distance.json"))
    args = parser.parse_args(argv)
    try:
        heights = [float(p) for p in args.px.split(",") if p.strip()]
    except ValueError:
        parser.error(f"--px {args.px!r}: not a comma-separated list of numbers")
    if not heights or any(h <= 0 for h in heights):
        parser.error(f"--px {args.px!r}: heights must be positive")
    if args.plates < 1:
        parser.error("--plates must be at least 1")
    if args.model:
        if not args.model.is_file():
            parser.error(f"--model {args.model}: no such file")
        os.environ["ENTRYWATCH_RECOGNISER_WEIGHTS"] = str(args.model)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    results = measure(heights, args.plates, args.ocr or ["crnn", "fusion"], args.workers)
    print(markdown(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": machine(),
        "recogniser": recogniser_identity(),
        "seed": SEED,
        "plates": args.plates,
        "results": results,
    }
    args.out.write_text(json.dumps(report, indent=1))
    log.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
