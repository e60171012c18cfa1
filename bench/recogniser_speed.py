"""Speed of the trained plate recogniser alone: ms per plate, one crop per call, one thread.

    python -m bench.recogniser_speed [--plates 500] [--model candidate.onnx]

Crops are rendered (held-out fonts), so the figure includes the pre-processing (grey, resize,
standardise), the ONNX run and the CTC decoding, as the reader pays them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--plates", type=int, default=500)
    parser.add_argument("--model", help="the recogniser to time; default: the shipped one")
    args = parser.parse_args(argv)
    if args.model and not Path(args.model).is_file():
        parser.error(f"--model {args.model}: no such file")  # before rendering the crops

    from plate_reader.recogniser import PlateRecogniser
    from plate_reader.training import fonts
    from plate_reader.training.dataset import Recipe, fonts_as_strings, render_view

    faces = fonts_as_strings(fonts.available(fonts.HELD_OUT_FONTS)) or fonts_as_strings(
        fonts.require(fonts.TRAIN_FONTS)
    )
    recipe = Recipe(5001, args.plates, faces, min_char_px=12.0, negatives=0.0)
    crops = [render_view(recipe, i)[0] for i in range(recipe.count)]
    recogniser = PlateRecogniser(args.model, threads=1)
    for crop in crops[:20]:
        recogniser.predict(crop)  # warm-up
    times = []
    for crop in crops:
        start = time.perf_counter()
        recogniser.predict(crop)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    result = {
        "model": str(recogniser.path),
        "plates": len(times),
        "ms_p50": times[len(times) // 2],
        "ms_p90": times[int(len(times) * 0.9)],
        "ms_mean": sum(times) / len(times),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
