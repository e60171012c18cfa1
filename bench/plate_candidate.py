"""A candidate recogniser beside the shipped one, on the same machine, in the same minutes.

    python -m bench.plate_candidate --model out/train/plate_crnn-x.onnx [--rendered 400]
                                    [--set degraded --set vn-two-line ...] [--baseline other.onnx]
    make bench-plates-candidate MODEL=out/train/plate_crnn-x.onnx

Runs ``bench.plate_accuracy`` (the trained recogniser alone and the fusion) for the baseline (the
shipped model unless ``--baseline``) and for the candidate, each in two processes (photo sets and
rendered sets side by side on two cores), then prints, per set, how many plates each read exactly
and the difference in plates. Accuracy figures from different machines differ by a plate or two on
the real photos (docs/BENCHMARKS.md), so a candidate is only ever compared with a baseline
measured here.

Writes ``bench.plate_accuracy``'s reports and logs, ``<out>/{baseline,candidate}-<model>-<half>``
``.json`` and ``.log``, and the comparison, ``<out>/compare-<candidate>.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.plate_accuracy import PHOTO_SETS, SETS

OCRS = ("crnn", "fusion")


def commands(
    model: Path, tag: str, sets: list[str], rendered: int, out: Path
) -> list[tuple[list[str], Path]]:
    """One ``bench.plate_accuracy`` command per half (photo sets, rendered sets) that has sets,
    with the report it writes."""
    halves = {
        "photos": [s for s in sets if s in PHOTO_SETS],
        "rendered": [s for s in sets if s not in PHOTO_SETS],
    }
    runs = []
    for half, chosen in halves.items():
        if not chosen:
            continue
        report = out / f"{tag}-{half}.json"
        command = [sys.executable, "-m", "bench.plate_accuracy", "--rendered", str(rendered)]
        command += ["--model", str(model), "--out", str(report)]
        for ocr in OCRS:
            command += ["--ocr", ocr]
        for name in chosen:
            command += ["--set", name]
        runs.append((command, report))
    return runs


def run_all(runs: list[tuple[list[str], Path]]) -> None:
    """Both halves at once (one per core). Each one's log goes to a file beside its report (a
    pipe could fill and stall it while the other is awaited); a failed half is named with the
    end of its log."""
    started = []
    for command, report in runs:
        log = report.with_suffix(".log").open("w")
        started.append(
            (command, log, subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log))
        )
    failed = []
    for command, log, process in started:
        process.wait()
        log.close()
        if process.returncode:
            failed.append(f"{' '.join(command)} failed:\n{Path(log.name).read_text()[-2000:]}")
    if failed:
        raise RuntimeError("\n".join(failed))


def exact_counts(reports: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, int]]:
    """(set, recogniser) -> (plates read exactly, plates) over ``bench.plate_accuracy`` reports."""
    counts = {}
    for report in reports:
        for result in report["results"]:
            correct = sum(1 for outcome in result["outcomes"] if outcome["correct"])
            counts[(result["set"], result["ocr"])] = (correct, len(result["outcomes"]))
    return counts


def comparison(
    baseline: dict[tuple[str, str], tuple[int, int]],
    candidate: dict[tuple[str, str], tuple[int, int]],
) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(baseline.keys() & candidate.keys(), key=lambda k: (SETS.index(k[0]), k[1])):
        (before, count), (after, _) = baseline[key], candidate[key]
        rows.append(
            {"set": key[0], "ocr": key[1], "plates": count, "baseline": before, "candidate": after}
        )
    return rows


def markdown(rows: list[dict[str, Any]], baseline: str, candidate: str) -> str:
    lines = [
        f"| set | recogniser | n | {baseline} | {candidate} | plates |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        n = row["plates"]
        delta = row["candidate"] - row["baseline"]
        lines.append(
            f"| {row['set']} | {row['ocr']} | {n} | {100 * row['baseline'] / n:.1f}% "
            f"| {100 * row['candidate'] / n:.1f}% | {delta:+d} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from detectors import weights

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, required=True, help="the candidate .onnx")
    parser.add_argument(
        "--baseline", type=Path, help="the model to compare with; default: the shipped one"
    )
    parser.add_argument("--set", action="append", choices=SETS, help="repeatable; default all")
    parser.add_argument("--rendered", type=int, default=400, help="plates per rendered set")
    parser.add_argument("--out", type=Path, default=Path("out/bench/candidates"))
    args = parser.parse_args(argv)
    baseline = args.baseline or Path(weights.resolve(weights.RECOGNISER))
    for role, path in (("--model", args.model), ("--baseline", baseline)):
        if not path.is_file():
            parser.error(f"{role} {path}: no such file")
    sets = args.set or list(SETS)
    args.out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for role, model in (("baseline", baseline), ("candidate", args.model)):
        runs = commands(model, f"{role}-{model.stem}", sets, args.rendered, args.out)
        run_all(runs)
        counts[role] = exact_counts([json.loads(report.read_text()) for _, report in runs])
    rows = comparison(counts["baseline"], counts["candidate"])
    print(markdown(rows, baseline.stem, args.model.stem))
    report = {"baseline": str(baseline), "candidate": str(args.model), "rows": rows}
    (args.out / f"compare-{args.model.stem}.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
