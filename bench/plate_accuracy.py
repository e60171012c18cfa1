"""Plate accuracy and speed per data set and per recogniser: the trained CRNN alone, RapidOCR
alone, and their fusion (the default).

    python -m bench.plate_accuracy [--data ../shared/data/openalpr-us] [--ocr fusion --ocr crnn]
                                   [--set openalpr --set rendered ...] [--limit N] [--rendered N]
                                   [--model candidate.onnx]

Sets (exact match of letters and digits; CER = character edits / label length):

- ``openalpr``: the real US photos, whole photo in (plate detector + reader), generic profile,
  no O->0 fold; also detection recall (a read box at IoU >= 0.3 with the label) and ms/photo.
- ``openalpr-crops``: the same photos' labelled plate boxes, recognition only, ms/plate.
- ``rendered``: a validation set the training never saw (another seed, held-out fonts), all
  plate families, ``auto`` profile.
- ``vn-two-line``: rendered Vietnamese two-line plates (cars and motorbikes), ``vn`` profile.
- ``br``: rendered Brazilian plates, old grey ``ABC-1234`` and Mercosur ``ABC1D23``, ``br``
  profile (``--profile generic`` reads them without its slot repair).
- ``degraded``: rendered plates as a distant, cheap camera sees them (8-14 px characters,
  blur, noise, JPEG 20-50), ``auto`` profile.
- ``openalpr-distant``: the openalpr labelled crops as a distant, cheap camera sees them: shrunk
  until the characters are 12-16 px high (taken as half the box height), then the same
  defocus, noise and JPEG 20-50 as ``degraded``: real plates, degraded, recognition only.
- ``vn-on-photos``: rendered Vietnamese two-line plates pasted over the plates of the openalpr
  photos, whole photo in, ``vn`` profile (the real photos give real scenes and detector boxes).

Beside exact match: how the reads split at the matcher's confidence threshold
(``matcher.rules.DEFAULT_MIN_CONFIDENCE``): the share of plates read with at least that
confidence, how many of those are exact, and how many are wrong (each would be a confident false
flag; a doubtful read's flag says it is doubtful).

The openalpr labels are used for scoring only, and nothing here is fitted to them.
"""

from __future__ import annotations

import argparse
import bisect
import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from plate_reader.formats import REGIONS

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")

log = logging.getLogger(__name__)

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "openalpr-us"
IOU_HIT = 0.3
OCRS = ("crnn", "rapidocr", "fusion")
SETS = (
    "openalpr",
    "openalpr-crops",
    "openalpr-distant",
    "rendered",
    "vn-two-line",
    "br",
    "degraded",
    "vn-on-photos",
)
PHOTO_SETS = ("openalpr", "openalpr-crops", "openalpr-distant", "vn-on-photos")


@dataclass(frozen=True)
class Sample:
    image: Path
    box: tuple[float, float, float, float]  # x1, y1, x2, y2
    plate: str


@dataclass(frozen=True)
class Outcome:
    image: str
    truth: str
    predicted: str
    correct: bool
    detected: bool
    stage: str  # "ok" | "no_box" | "wrong_box" | "wrong_read"
    ms: float
    edits: int = 0
    confidence: float = 0.0  # the read's own (PlateRead.confidence); 0 when nothing was read


def load_samples(data: Path, limit: int | None = None) -> list[Sample]:
    samples: list[Sample] = []
    for label in sorted(data.glob("*.txt")):
        if label.name.lower().startswith(("readme", "license")):
            continue
        for line in label.read_text().splitlines():
            parts = line.strip().split("\t")
            if len(parts) < 6:
                continue
            x, y, w, h = (float(v) for v in parts[1:5])
            samples.append(Sample(data / parts[0], (x, y, x + w, y + h), parts[5].strip().upper()))
    return samples[:limit] if limit else samples


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def levenshtein(a: str, b: str) -> int:
    from plate_reader.training.train import levenshtein as edits

    return edits(a, b)


def evaluate_photos(
    photos: Iterator[tuple[str, Any, tuple[float, float, float, float], str]], reader: Any
) -> list[Outcome]:
    """Whole photos through ``reader.read``: its top read against the label."""
    outcomes: list[Outcome] = []
    for name, image, box, truth in photos:
        start = time.perf_counter()
        reads = reader.read(image)
        ms = (time.perf_counter() - start) * 1000
        hits = [r for r in reads if iou(r.box, box) >= IOU_HIT]
        predicted = reads[0].text if reads else ""
        confidence = float(reads[0].confidence) if reads else 0.0
        correct = predicted == truth
        if correct:
            stage = "ok"
        elif not hits:
            stage = "no_box"
        elif iou(reads[0].box, box) < IOU_HIT:
            stage = "wrong_box"
        else:
            stage = "wrong_read"
        outcomes.append(
            Outcome(
                name,
                truth,
                predicted,
                correct,
                bool(hits),
                stage,
                ms,
                levenshtein(predicted, truth),
                confidence,
            )
        )
    return outcomes


def evaluate(samples: list[Sample], reader: Any) -> list[Outcome]:
    """The openalpr photos through ``reader.read`` (kept for the accuracy test)."""
    return evaluate_photos(_photos(samples), reader)


def evaluate_crops(crops: Iterator[tuple[str, Any, str]], reader: Any) -> list[Outcome]:
    """Plate crops through ``reader.read_crop``: recognition only."""
    outcomes: list[Outcome] = []
    for name, crop, truth in crops:
        start = time.perf_counter()
        read = reader.read_crop(crop)
        ms = (time.perf_counter() - start) * 1000
        predicted = read.text if read else ""
        ok = predicted == truth
        outcomes.append(
            Outcome(
                name,
                truth,
                predicted,
                ok,
                True,
                "ok" if ok else "wrong_read",
                ms,
                levenshtein(predicted, truth),
                float(read.confidence) if read else 0.0,
            )
        )
    return outcomes


def _photos(
    samples: list[Sample],
) -> Iterator[tuple[str, Any, tuple[float, float, float, float], str]]:
    import cv2

    for sample in samples:
        image = cv2.imread(str(sample.image))
        if image is None:
            raise ValueError(f"cannot read image {sample.image}")
        yield sample.image.name, image, sample.box, sample.plate


def _label_crops(samples: list[Sample]) -> Iterator[tuple[str, Any, str]]:
    from plate_reader.crops import crop

    for name, image, box, truth in _photos(samples):
        yield name, crop(image, box), truth


def _distant_crops(samples: list[Sample], seed: int) -> Iterator[tuple[str, Any, str]]:
    """The labelled crops shrunk to 12-16 px characters, then degraded like ``degraded``."""
    import cv2

    from plate_reader.training.augment import degrade

    for index, (name, piece, truth) in enumerate(_label_crops(samples)):
        rng = random.Random(f"{seed}:{index}")
        h, w = piece.shape[:2]
        factor = min(1.0, rng.uniform(12.0, 16.0) / (0.5 * max(1, h)))
        size = (max(4, round(w * factor)), max(4, round(h * factor)))
        small = cv2.resize(piece, size, interpolation=cv2.INTER_AREA)
        yield name, degrade(rng, small), truth


def _rendered(recipe: Any) -> Iterator[tuple[str, Any, str]]:
    from plate_reader.training.dataset import render_view

    for i in range(recipe.count):
        view, label = render_view(recipe, i)
        yield f"{recipe.seed}:{i}", view, label


def _vn_on_photos(
    samples: list[Sample], seed: int
) -> Iterator[tuple[str, Any, tuple[float, float, float, float], str]]:
    """Each photo with a rendered VN two-line plate painted over its own plate."""
    import cv2
    import numpy as np

    from plate_reader.training import fonts
    from plate_reader.training.render import render_plate
    from plate_reader.training.texts import vn_car, vn_moto

    faces = fonts.require_held_out()
    for index, (name, image, box, _) in enumerate(_photos(samples)):
        rng = random.Random(f"{seed}:{index}")
        plate = vn_moto(rng) if rng.random() < 0.6 else vn_car(rng)
        while len(plate.rows) != 2:
            plate = vn_car(rng)
        flat = render_plate(plate, rng.choice(faces), rng)[..., ::-1]
        x1, y1, x2, y2 = box
        ph, pw = flat.shape[:2]
        scale = max((x2 - x1) / pw, (y2 - y1) / ph) * 1.05
        w, h = max(4, round(pw * scale)), max(4, round(ph * scale))
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        left, top = max(0, round(cx - w / 2)), max(0, round(cy - h / 2))
        out = image.copy()
        patch = cv2.resize(flat, (w, h), interpolation=cv2.INTER_AREA)
        patch = cv2.GaussianBlur(patch, (0, 0), 0.6)
        region = out[top : top + h, left : left + w]
        region[...] = patch[: region.shape[0], : region.shape[1]]
        new_box = (
            float(left),
            float(top),
            float(left + region.shape[1]),
            float(top + region.shape[0]),
        )
        yield name, np.ascontiguousarray(out), new_box, plate.label


def summarise(outcomes: list[Outcome]) -> dict[str, float | int | None]:
    """Exact match, CER, detection and speed; and how the reads split at the matcher's
    confidence threshold: a confident wrong read becomes a confident false flag, a doubtful
    one is marked doubtful for the operator (``matcher.rules``)."""
    from matcher.rules import DEFAULT_MIN_CONFIDENCE

    n = len(outcomes)
    confident = [o for o in outcomes if o.predicted and o.confidence >= DEFAULT_MIN_CONFIDENCE]
    stages = {s: sum(o.stage == s for o in outcomes) for s in ("no_box", "wrong_box", "wrong_read")}
    ms = sorted(o.ms for o in outcomes)
    chars = sum(max(1, len(o.truth)) for o in outcomes)
    return {
        "count": n,
        "photos": n,
        "accuracy": sum(o.correct for o in outcomes) / n if n else 0.0,
        "cer": sum(o.edits for o in outcomes) / chars if chars else 0.0,
        "detection_recall": sum(o.detected for o in outcomes) / n if n else 0.0,
        **{f"miss_{k}": v for k, v in stages.items()},
        "ms_mean": sum(ms) / n if n else 0.0,
        "ms_p50": ms[n // 2] if n else 0.0,
        "min_confidence": DEFAULT_MIN_CONFIDENCE,
        "confident_share": len(confident) / n if n else 0.0,
        "confident_exact": (
            sum(o.correct for o in confident) / len(confident) if confident else 0.0
        ),
        "confident_wrong": sum(not o.correct for o in confident),
        "confidence_auroc": confidence_auroc(outcomes),
    }


def confidence_auroc(outcomes: list[Outcome]) -> float | None:
    """How well the confidence ranks right reads above wrong ones, whatever its scale: the
    chance that a random right read is more confident than a random wrong one (ties count
    half; None when all reads are right or all wrong). A threshold moves the confident share,
    this does not move with it."""
    right = sorted(o.confidence for o in outcomes if o.correct)
    wrong = sorted(o.confidence for o in outcomes if not o.correct)
    if not right or not wrong:
        return None
    wins = 0.0
    for c in right:
        below = bisect.bisect_left(wrong, c)
        ties = bisect.bisect_right(wrong, c) - below
        wins += below + 0.5 * ties
    return wins / (len(right) * len(wrong))


def recogniser_identity() -> dict[str, str]:
    """Which recogniser file the figures are of: its path and SHA-256 (results name their model)."""
    import hashlib

    from detectors import weights

    path = Path(weights.resolve(weights.RECOGNISER))
    return {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def make_reader(ocr: str, profile: str) -> Any:
    import numpy as np

    from plate_reader.ocr import make_ocr
    from plate_reader.reader import PlateReader

    reader = PlateReader(ocr=make_ocr(ocr), profile=profile)
    # Warm the models so the first sample's load time does not count.
    reader.read(np.zeros((64, 64, 3), dtype=np.uint8))
    reader.read_crop(np.full((32, 96, 3), 255, dtype=np.uint8))
    return reader


def run(
    data: Path, ocr: str = "fusion", limit: int | None = None, profile: str = "generic"
) -> dict[str, Any]:
    """The openalpr photos, whole photo in, one recogniser; summary and per-photo outcomes."""
    outcomes = evaluate(load_samples(data, limit), make_reader(ocr, profile))
    return {
        "set": "openalpr",
        "ocr": ocr,
        **summarise(outcomes),
        "outcomes": [asdict(o) for o in outcomes],
    }


def _styled(seed: int, count: int, fonts: tuple[str, ...], styles: tuple[str, ...]) -> Any:
    """A rendered set of some plate families only, sized like the mixed validation set."""
    from plate_reader.training.dataset import Recipe

    return Recipe(
        seed, count, fonts, min_char_px=12.0, negatives=0.0, styles=styles, true_glyph_px=True
    )


def run_set(
    name: str,
    ocr: str,
    data: Path,
    limit: int | None,
    rendered: int,
    profile_override: str | None = None,
) -> dict[str, Any]:
    """One set read by one recogniser, in the set's own profile unless ``profile_override``."""
    from plate_reader.training import fonts
    from plate_reader.training.dataset import Recipe, fonts_as_strings

    held_out = fonts_as_strings(fonts.require_held_out())
    recipes = {
        "rendered": (
            Recipe(2001, rendered, held_out, min_char_px=12.0, negatives=0.0, true_glyph_px=True),
            "auto",
        ),
        "vn-two-line": (_styled(2002, rendered, held_out, ("vn_car2", "vn_moto")), "vn"),
        "br": (_styled(2004, rendered, held_out, ("br_old", "br_mercosur")), "br"),
        "degraded": (
            Recipe(
                2003,
                rendered,
                held_out,
                min_char_px=8.0,
                max_char_px=14.0,
                negatives=0.0,
                degraded=True,
                true_glyph_px=True,
            ),
            "auto",
        ),
    }
    runner: Callable[[], list[Outcome]]
    if name in PHOTO_SETS:
        samples = load_samples(data, limit)
        profile = profile_override or ("vn" if name == "vn-on-photos" else "generic")
        reader = make_reader(ocr, profile)
        if name == "openalpr":
            runner = lambda: evaluate_photos(_photos(samples), reader)  # noqa: E731
        elif name == "openalpr-crops":
            runner = lambda: evaluate_crops(_label_crops(samples), reader)  # noqa: E731
        elif name == "openalpr-distant":
            runner = lambda: evaluate_crops(_distant_crops(samples, 4001), reader)  # noqa: E731
        else:
            runner = lambda: evaluate_photos(_vn_on_photos(samples, 3001), reader)  # noqa: E731
    else:
        recipe, profile = recipes[name]
        profile = profile_override or profile
        reader = make_reader(ocr, profile)
        runner = lambda: evaluate_crops(_rendered(recipe), reader)  # noqa: E731
    outcomes = runner()
    return {
        "set": name,
        "ocr": ocr,
        "profile": profile,
        **summarise(outcomes),
        "outcomes": [asdict(o) for o in outcomes],
    }


def markdown(results: list[dict[str, Any]]) -> str:
    head = (
        "| set | recogniser | n | exact | CER | det. recall | ms (p50) "
        "| confident | exact if confident | confident and wrong | AUROC |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    rows = []
    for r in results:
        photo = r["set"] in ("openalpr", "vn-on-photos")
        recall = f"{r['detection_recall']:.1%}" if photo else "–"
        rows.append(
            f"| {r['set']} | {r['ocr']} | {r['count']} | {r['accuracy']:.1%} "
            f"| {r['cer']:.3f} | {recall} | {r['ms_p50']:.1f} "
            f"| {r['confident_share']:.1%} | {r['confident_exact']:.1%} | {r['confident_wrong']} "
            f"| {auroc if (auroc := r.get('confidence_auroc')) is None else f'{auroc:.3f}'} |"
        )
    return "\n".join([head, *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--ocr",
        action="append",
        choices=[*OCRS, "easyocr"],
        help="repeatable; default: crnn, rapidocr and fusion",
    )
    parser.add_argument("--set", action="append", choices=SETS, help="repeatable; default all")
    parser.add_argument("--limit", type=int, default=None, help="first N openalpr photos only")
    parser.add_argument("--rendered", type=int, default=1000, help="plates per rendered set")
    parser.add_argument(
        "--profile", choices=REGIONS, help="read every set in this profile, not the set's own"
    )
    parser.add_argument(
        "--model",
        type=Path,
        help="the recogniser to measure (a candidate .onnx); default: the shipped one",
    )
    parser.add_argument("--out", type=Path, default=Path("out/bench/plate_accuracy.json"))
    args = parser.parse_args(argv)
    if args.model:
        if not args.model.is_file():
            parser.error(f"--model {args.model}: no such file")
        # Weights are resolved in one place (detectors.weights); its variable picks this file.
        os.environ["ENTRYWATCH_RECOGNISER_WEIGHTS"] = str(args.model)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sets = args.set or list(SETS)
    if any(s in PHOTO_SETS for s in sets) and not args.data.is_dir():
        parser.error(f"no data folder at {args.data} (drop the openalpr sets with --set)")
    results = []
    for name in sets:
        for ocr in args.ocr or OCRS:
            result = run_set(name, ocr, args.data, args.limit, args.rendered, args.profile)
            log.info("%s / %s: exact %.1f%%", name, ocr, 100 * result["accuracy"])
            results.append(result)
    print(markdown(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"data": str(args.data), "recogniser": recogniser_identity(), "results": results}
    args.out.write_text(json.dumps(report, indent=1))
    log.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
