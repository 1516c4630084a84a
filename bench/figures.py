"""The measured figures in one generated page, so that no figure is typed by hand anywhere else.

    python -m bench.figures           # writes bench/results/figures.md from the files below
    python -m bench.figures --check   # exit 1 when bench/results/figures.md is not what they give

Each section is read from the file its measurement wrote:
- the scorer: facepack/default_scorer/card.json (`python -m training ship`, `robustness default`);
- the trained detector: tests/data/detector-scut/report.json (`python -m training detector`);
- browser vs Python parity: bench/results/parity.json (a copy of the reports/parity.json that the
  browser tests write; copy it after a full `make test`);
- speed, download and memory: bench/results/latest.json (`python -m bench`).
README.md and MODEL_CARD.md link here rather than repeat these numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.run import report as bench_tables
from bench.run import table
from facepack import spec

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PAGE = RESULTS / "figures.md"
SOURCES = {
    "card": ROOT / "facepack" / "default_scorer" / "card.json",
    "detector": ROOT / "tests" / "data" / "detector-scut" / "report.json",
    "parity": RESULTS / "parity.json",
    "bench": RESULTS / "latest.json",
}
LABELS = {name: str(path.relative_to(ROOT)) for name, path in SOURCES.items()}  # as the page names them
PARITY_COLUMNS = {  # parity.json key -> column heading
    "photos": "photos", "faces": "faces", "min_iou": "min box IoU", "landmark_fraction": "landmarks (of box width)",
    "confidence": "confidence", "crop_probs": "scorer on identical crops: probs",
    "crop_points": "scorer on identical crops: points", "e2e_points": "end to end: points",
    "emotion_mismatches": "emotion differs", "unscored": "below the gate, on both sides",
    "gate_straddles": "gate differs (confidences either side of it)",
}


def _read(name: str) -> dict:
    return json.loads(SOURCES[name].read_text())


def _source(name: str) -> str:
    return f"(from `{LABELS[name]}`)"


def scorer_section(card: dict) -> str:
    test = card["test_metrics"]["expected"]
    rows = [[group, f"{m['pc']:.4f}", f"{m['mae']:.4f}", f"{m['rmse']:.4f}", m["n"]] for group, m in test.items()]
    out = [f"## The default scorer on SCUT-FBP5500's official 60/40 test split {_source('card')}", "",
           f"Runs: {', '.join(card['runs'])}; the score is the expected value of the 101 classes, as the browser "
           "gives it. `python -m training evaluate default` reproduces these.", "",
           table(["faces", "PC", "MAE", "RMSE", "n"], rows)]
    robust = card.get("robustness")
    if robust:
        rows = [[change, m["n"], m["no_face"], f"{m['pc']:.4f}", f"{m['mae']:.4f}", f"{m['shift_mean']:.2f}",
                 f"{m['shift_p95']:.2f}"] for change, m in robust["conditions"].items()]
        out += ["", "Robustness: each test photo changed, detected and cropped again "
                "(`python -m training robustness default`); the shift is in points (0-100).", "",
                table(["change", "n", "no face", "PC", "MAE", "mean shift", "95th pct shift"], rows)]
    shift = card.get("storage_shift_points")
    if shift:
        out += ["", f"Stored weights against the trained float32 model, validation crops: mean shift "
                f"{shift['mean']:.4f} points, worst {shift['max']:.4f}."]
    return "\n".join(out)


def detector_section(rep: dict) -> str:
    trained, package = rep["test"], rep["package_on_test"]

    def row(label: str, key, fmt: str) -> list:
        get = key if callable(key) else (lambda r: r[key])
        return [label, format(get(trained), fmt), format(get(package), fmt)]

    rows = [row("recall at IoU 0.5", "recall", ".4f"), row("false detections per photo", "false_per_photo", ".3f"),
            row("mean IoU with the true box", "mean_iou", ".3f"),
            row("landmark error / eye distance (5 points)", lambda r: r["landmark_error"]["mean"], ".4f")]
    cfg = rep["config"]
    passes = ""
    if "cascade" in rep:
        rows.append(["ONet passes after the cascade", str(rep["cascade"]["onet_refinements"]),
                     str(spec.DETECTOR.onet_refinements)])
        passes = f" ONet passes: {rep['cascade']['rule']}."
    return "\n".join([
        f"## The detector trained here, on SCUT-FBP5500's {trained['photos']} test photos {_source('detector')}", "",
        f"{rep['data']['train_photos']} training and {rep['data']['validation_photos']} validation photos, "
        f"{cfg['epochs']} epochs, learning rate cut at epochs {cfg['decay_epochs']}.{passes}", "",
        table(["", "trained here", "`mtcnn` package"], rows)])


def parity_section(parity: dict) -> str:
    rows = []
    for backend, fields in parity["per_backend"].items():
        cells = [backend]
        for key in PARITY_COLUMNS:
            value = fields.get(key)
            cells.append("-" if value is None else f"{value:.5f}" if key == "min_iou"
                         else f"{value:.2g}" if isinstance(value, float) else value)
        rows.append(cells)
    return "\n".join([
        f"## The browser against Python, worst over all faces {_source('parity')}", "",
        "The browser tests' parity report (tests/browser/test_parity.py; bounds in facepack/parity/bounds.py).", "",
        table(["backend", *PARITY_COLUMNS.values()], rows)])


def bench_section(result: dict) -> str:
    machine = result.get("machine", {})
    about = ", ".join(f"{k} {v}" for k, v in machine.items() if isinstance(v, str | int | float))
    # The bench prints each table under a one-line caption; here each caption is a paragraph of its own.
    lines = [line if line.startswith("|") else f"\n**{line.strip()}**\n" for line in bench_tables(result).split("\n")]
    return "\n".join([f"## Speed, download and memory {_source('bench')}", "",
                      f"One run of `python -m bench` ({about}). Only ratios within one run count.", *lines])


def render() -> str:
    sections = ["# Measured figures", "",
                "Generated by `python -m bench.figures` from the files each measurement wrote; do not edit by hand."]
    sections += ["", scorer_section(_read("card")), "", detector_section(_read("detector"))]
    if SOURCES["parity"].is_file():
        sections += ["", parity_section(_read("parity"))]
    sections += ["", bench_section(_read("bench"))]
    return "\n".join(sections) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.figures", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with bench/results/figures.md, write nothing")
    args = parser.parse_args(argv)
    page = render()
    if args.check:
        if not PAGE.is_file() or PAGE.read_text() != page:
            print(f"{PAGE.relative_to(ROOT)} is stale: run `python -m bench.figures`", file=sys.stderr)
            return 1
        print(f"{PAGE.relative_to(ROOT)} is current")
        return 0
    PAGE.write_text(page)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
