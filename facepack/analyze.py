"""Analyse photo files with the Python reference pipeline and keep the results as JSON or CSV.

One record per photo, the same as the Node CLI's (`npx facepack analyze --json`):
    {"photo", "width", "height", "faces": [face, ...]}   face: the shape of the browser's analyze()
    {"photo", "error"}                                    a file that cannot be read, skipped
CSV has one row per face (a photo without a face, or one that failed, has one row with the
face columns empty; a face the gate leaves unscored has empty score columns and its reason).
Output files are replaced atomically, every few photos and at the end, so an interrupted run
leaves a complete file that `resume` can continue.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from facepack import images, spec

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
SAVE_EVERY_SECONDS = 10.0


def find_photos(inputs: Iterable[str | Path]) -> list[Path]:
    """Files as given, and every photo file under each folder (recursively, sorted)."""
    photos = []
    for item in map(Path, inputs):
        if item.is_dir():
            photos += sorted(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
        else:
            photos.append(item)  # a missing file is reported in its place
    return photos


def analyze_photo(pipeline, path: Path) -> dict:
    """The record of one photo; an unreadable file gives {photo, error}."""
    try:
        image = images.load_image(path, name=str(path))
    except images.ImageError as err:
        return {"photo": str(path), "error": str(err)}
    except OSError as err:
        return {"photo": str(path), "error": f"{path} cannot be read: {err.strerror or err}"}
    faces = pipeline.analyze(image)
    return {"photo": str(path), "width": int(image.shape[1]), "height": int(image.shape[0]),
            "faces": [f.as_dict() for f in faces]}


def csv_rows(record: dict) -> list[dict]:
    """The rows of one record, formatted by spec.RESULT_CSV (the page's CSV download does the same)."""
    base = {"photo": record["photo"], "width": record.get("width", ""), "height": record.get("height", ""),
            "error": record.get("error", "")}
    if not record.get("faces"):
        return [base]
    rows = []
    for i, face in enumerate(record["faces"], start=1):
        x1, y1, x2, y2 = face["box"]
        values = {**base, "face": i, "x1": x1, "y1": y1, "x2": x2, "y2": y2, "confidence": face["confidence"],
                  "unscored": face.get("unscored")}
        if face["score"] is not None:
            score, emotion = face["score"], face["emotion"]
            values |= {"score": score["expected"], "score_low": score["interval"][0],
                       "score_high": score["interval"][1], "percentile": score["percentile"],
                       "score_argmax": score["argmax"], "emotion": emotion["label"],
                       "emotion_probability": max(emotion["probs"])}
        rows.append({name: "" if values.get(name) is None else
                     f"{values[name]:.{decimals}f}" if decimals is not None else values[name]
                     for name, decimals in spec.RESULT_CSV})
    return rows


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_json(path: Path, records: list[dict]) -> None:
    _replace(path, json.dumps(records) + "\n")


def write_csv(path: Path, records: list[dict], earlier_rows: list[dict] = ()) -> None:
    """`earlier_rows`: rows of a file being resumed, kept as they are before the new records."""
    out = io.StringIO()
    writer = csv.DictWriter(out, [name for name, _ in spec.RESULT_CSV], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(earlier_rows)
    for record in records:
        writer.writerows(csv_rows(record))
    _replace(path, out.getvalue())


class ResultFileError(ValueError):
    """An output file that --resume cannot read; the message names it."""


def read_json(path: Path) -> list[dict]:
    try:
        records = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ResultFileError(f"{path} is not a JSON results file to resume ({err})") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) and "photo" in r for r in records):
        raise ResultFileError(f"{path} is not a list of photo records; it cannot be resumed")
    return records


def read_csv_rows(path: Path) -> list[dict]:
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or "photo" not in reader.fieldnames:
                raise ResultFileError(f"{path} has no 'photo' column; it cannot be resumed")
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise ResultFileError(f"{path} cannot be read to resume ({err})") from None


def run(photos: list[Path], pipeline_factory: Callable[[], object], json_path: Path | None = None,
        csv_path: Path | None = None, resume: bool = False, progress: Callable | None = None) -> list[dict]:
    """Analyse `photos` and keep the records in the output files; returns the new records.

    With `resume`, photos already in an output file are not analysed again, and what the file
    holds is kept as it is, with the new records after it.
    """
    earlier = read_json(json_path) if resume and json_path is not None and json_path.exists() else []
    earlier_rows = read_csv_rows(csv_path) if resume and csv_path is not None and csv_path.exists() else []
    seen = {r["photo"] for r in earlier} | {row["photo"] for row in earlier_rows}
    todo = [p for p in photos if str(p) not in seen]
    records: list[dict] = []
    pipeline = pipeline_factory() if todo else None
    last_save = time.monotonic()

    def save() -> None:
        if json_path is not None:
            write_json(json_path, earlier + records)
        if csv_path is not None:
            write_csv(csv_path, records if earlier_rows else earlier + records, earlier_rows)

    try:
        for path in (progress(todo) if progress else todo):
            records.append(analyze_photo(pipeline, path))
            if time.monotonic() - last_save > SAVE_EVERY_SECONDS:
                save()
                last_save = time.monotonic()
    finally:  # Ctrl+C or an error keeps every photo finished so far
        save()
    return records
