"""The parity command's report: report.json (every figure) and report.html (for a person to read):
per photo and runtime the face counts and each face's differences against its bound, and a
picture of the photo where the differences came closest to their bounds.

Each file is written to a temporary name and renamed into place, so neither is ever half
written (the JSON first: a run stopped between the two renames leaves the previous HTML).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import json
import os
from pathlib import Path

from facepack.parity import bounds

# Each figure of a matched face, its bound, and how it is written.
COLUMNS = (
    ("iou", "box IoU", bounds.MIN_IOU, "≥", "{:.5f}"),
    ("landmark_fraction", "landmarks / box width", bounds.LANDMARK_FRACTION, "≤", "{:.2e}"),
    ("confidence", "confidence", bounds.CONFIDENCE, "≤", "{:.2e}"),
    ("points", "score (points)", bounds.E2E_POINTS, "≤", "{:.4f}"),
)


def share_of_bound(row: dict) -> float:
    """How close a face's worst figure came to its bound: 1 is at the bound, above 1 past it."""
    shares = [(1 - row["iou"]) / (1 - bounds.MIN_IOU), row["landmark_fraction"] / bounds.LANDMARK_FRACTION,
              row["confidence"] / bounds.CONFIDENCE]
    if row["points"] is not None:
        shares.append(row["points"] / bounds.E2E_POINTS)
    return max(shares)


def as_json(report) -> dict:
    runs = [dataclasses.asdict(run) | {"passed": run.passed} for run in report.runs]
    return {"bundle": report.bundle, "backends": report.backends, "photos": report.photos, "passed": report.passed,
            "bounds": {"min_iou": bounds.MIN_IOU, "landmark_fraction": bounds.LANDMARK_FRACTION,
                       "confidence": bounds.CONFIDENCE, "e2e_points": bounds.E2E_POINTS,
                       "emotion": "the same label", "faces": "the same number"},
            "skipped": report.skipped, "python": report.python, "runs": runs}


def _replace(path: Path, data: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, path)


def write_report(report, out: Path) -> tuple[Path, Path]:
    """report.json and report.html in `out` (made if missing): their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = as_json(report)
    _replace(out / "report.json", json.dumps(data, indent=1) + "\n")
    _replace(out / "report.html", render_html(report))
    return out / "report.json", out / "report.html"


def _worst(report):
    """(run, row) whose face came closest to (or furthest past) a bound; None without matched faces."""
    candidates = [(share_of_bound(row), i, run, row) for i, run in enumerate(report.runs) for row in run.rows]
    return max(candidates, key=lambda c: c[:2])[2:] if candidates else None


def picture(report, run, row, max_side: int = 900) -> str:
    """The photo of `run` with Python's faces (green) and the runtime's (magenta), the face of
    `row` ringed, as a data: URL of a PNG."""
    from PIL import Image, ImageDraw

    from facepack.images import load_image

    img = Image.fromarray(load_image(Path(run.photo), name=run.photo))
    scale = min(1.0, max_side / max(img.size))
    img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))))
    draw = ImageDraw.Draw(img)
    python_faces = report.python[run.photo]["faces"]
    for faces, colour, width in ((python_faces, (40, 200, 60), 5), (run.other, (230, 40, 200), 2)):
        for face in faces:
            draw.rectangle([v * scale for v in face["box"]], outline=colour, width=width)
            for x, y in face["landmarks"]:
                draw.ellipse([x * scale - 2, y * scale - 2, x * scale + 2, y * scale + 2], fill=colour)
    x1, y1, x2, y2 = (v * scale for v in python_faces[row["python"]]["box"])
    pad = 0.25 * max(x2 - x1, y2 - y1) + 6
    draw.ellipse([x1 - pad, y1 - pad, x2 + pad, y2 + pad], outline=(255, 200, 0), width=3)
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def render_html(report) -> str:
    e = html.escape
    verdict = "PASSED: every runtime within every bound" if report.passed else "FAILED: see the rows marked past"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>facepack parity</title><style>"
        "body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td.l,th.l{text-align:left}"
        ".bad{background:#fdd}.ok{color:#070}.past{color:#b00;font-weight:bold}img{max-width:100%}</style></head><body>",
        f"<h1>facepack parity: {e(report.bundle)}</h1>",
        f"<p class='{'ok' if report.passed else 'past'}'>{e(verdict)}</p>",
        f"<p>{len(report.photos)} photos; runtimes: {e(', '.join(report.backends))}. Each runtime's faces are held "
        "to the Python reference (<code>ReferencePipeline.from_bundle</code>: the originals the bundle was "
        "exported from) with these bounds: the same number of faces and, per matched face,</p><ul>",
        *[f"<li>{e(title)} {op} {bound:g}</li>" for _, title, bound, op, _ in COLUMNS],
        "<li>the same emotion; the gate applied by each side to its own face</li></ul>",
    ]
    worst = _worst(report)
    if worst is not None:
        run, row = worst
        parts += [f"<h2>Where the differences came closest to their bounds</h2><p>{e(run.photo)} on "
                  f"{e(run.backend)}, face {row['python']} (ringed): {share_of_bound(row):.1%} of its bound. "
                  "Green: Python's faces, magenta: the runtime's.</p>",
                  f"<img alt='{e(run.photo)} with both sides' faces' src='{picture(report, run, row)}'>"]
    parts += ["<h2>Per photo and runtime</h2><table><tr><th class='l'>photo</th><th class='l'>runtime</th>"
              "<th>faces (Python / runtime)</th>", *[f"<th>worst {e(t)}</th>" for _, t, _, _, _ in COLUMNS],
              "<th>emotion differs</th><th class='l'>verdict</th></tr>"]
    for run in report.runs:
        cells = [f"<td class='l'>{e(Path(run.photo).name)}</td><td class='l'>{e(run.backend)}</td>",
                 f"<td>{run.python_faces} / {'-' if run.faces is None else run.faces}</td>"]
        for key, _, bound, op, fmt in COLUMNS:
            values = [r[key] for r in run.rows if r[key] is not None]
            if not values:
                cells.append("<td>-</td>")
                continue
            value = min(values) if op == "≥" else max(values)
            past = value < bound if op == "≥" else value > bound
            cells.append(f"<td class='{'past' if past else ''}'>{fmt.format(value)}</td>")
        cells.append(f"<td>{sum(r['same_emotion'] is False for r in run.rows)}</td>")
        text = run.error or "; ".join(run.problems) or "within bounds"
        cells.append(f"<td class='l'>{e(text)}</td>")
        parts.append(f"<tr class='{'' if run.passed else 'bad'}'>{''.join(cells)}</tr>")
    parts.append("</table>")
    if report.skipped:
        parts += ["<h2>Not run</h2><ul>", *[f"<li>{e(s)}</li>" for s in report.skipped], "</ul>"]
    parts.append("</body></html>\n")
    return "".join(parts)
