"""Analyse photo files with the Python reference pipeline and keep the results as JSON or CSV.

One record per photo, the same as the Node CLI's (`npx facepack analyze --json`):
    {"photo", "width", "height", "faces": [face, ...]}   face: the shape of the browser's analyze()
    {"photo", "error"}                                    a file that cannot be read, skipped
CSV has one row per face (a photo without a face, or one that failed, has one row with the
face columns empty; a face the gate leaves unscored has empty score columns and its reason).
The record, its CSV rows and its summary in words are built here for Python and in
js/src/results.js for the page and the Node CLI; tests/data/results.json holds the two to the
same text, number for number.
Output files are replaced atomically, every few photos and at the end, so an interrupted run
leaves a complete file that `resume` can continue.
"""

from __future__ import annotations

import csv
import decimal
import json
import math
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


def photo_record(photo: str, width: int, height: int, faces: list[dict]) -> dict:
    """The record of an analysed photo: {photo, width, height, faces}."""
    return {"photo": photo, "width": int(width), "height": int(height), "faces": faces}


def error_record(photo: str, message: str) -> dict:
    """The record of a photo that could not be analysed: {photo, error}."""
    return {"photo": photo, "error": message}


def analyze_photo(pipeline, path: Path) -> dict:
    """The record of one photo; an unreadable file gives {photo, error}."""
    try:
        image = images.load_image(path, name=str(path))
    except images.ImageError as err:
        return error_record(str(path), str(err))
    except OSError as err:
        return error_record(str(path), f"{path} cannot be read: {err.strerror or err}")
    faces = pipeline.analyze(image)
    return photo_record(str(path), image.shape[1], image.shape[0], [f.as_dict() for f in faces])


def fixed(value: float, decimals: int) -> str:
    """`value` with `decimals` digits after the point, as js/src/results.js `fixed` writes it
    (JavaScript's toFixed): a half is rounded away from zero, on the number's exact binary value
    (Python's format rounds it to even: 0.125 gives '0.12' there, '0.13' here), and a result of
    zero has no minus sign (-0.001 gives '0.00')."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    with decimal.localcontext(prec=400):  # enough digits for any double's integer part and 20 decimals
        exact = decimal.Decimal(value).quantize(decimal.Decimal(1).scaleb(-decimals), rounding=decimal.ROUND_HALF_UP)
    return format(abs(exact) if exact == 0 else exact, "f")


def face_values(record: dict, index: int) -> dict:
    """The CSV values of face `index` (0-based) of a record, by column name; of the photo alone
    when `index` is None (a record without faces, or with an error)."""
    values = {"photo": record["photo"], "width": record.get("width"), "height": record.get("height"),
              "error": record.get("error")}
    if index is None:
        return values
    face = record["faces"][index]
    x1, y1, x2, y2 = face["box"]
    values |= {"face": index + 1, "x1": x1, "y1": y1, "x2": x2, "y2": y2, "confidence": face["confidence"],
               "unscored": face.get("unscored")}
    if face["score"] is not None:
        score, emotion = face["score"], face["emotion"]
        values |= {"score": score["expected"], "score_low": score["interval"][0], "score_high": score["interval"][1],
                   "percentile": score["percentile"], "score_argmax": score["argmax"], "emotion": emotion["label"],
                   "emotion_probability": max(emotion["probs"])}
    return values


def _cell(value, decimals: int | None) -> str:
    if value is None:
        return ""
    return str(value) if decimals is None else fixed(value, decimals)


def csv_rows(record: dict, columns=spec.RESULT_CSV) -> list[list[str]]:
    """The CSV cells of one record, a row per face (one row for a photo without faces or with an
    error), by `columns` ((name, decimals) pairs: spec.RESULT_CSV, the manifest's results.csv).
    js/src/results.js csvRows is the same; tests/data/results.json holds the two to each other."""
    rows = [face_values(record, i) for i in range(len(record["faces"]))] if record.get("faces") else [
        face_values(record, None)]
    return [[_cell(values.get(name), decimals) for name, decimals in columns] for values in rows]


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(ch in cell for ch in ',"\r\n') else cell


def csv_line(cells: Iterable[str]) -> str:
    """One CSV line (RFC 4180, CRLF): a cell with a comma, a quote or a line break is quoted."""
    return ",".join(map(_quoted, cells)) + "\r\n"


def csv_text(records: Iterable[dict], columns=spec.RESULT_CSV, earlier_rows: Iterable[dict] = ()) -> str:
    """The header, `earlier_rows` (rows of a file being resumed, by column name) and every record's rows."""
    names = [name for name, _ in columns]
    lines = [csv_line(names)] + [csv_line(row.get(name) or "" for name in names) for row in earlier_rows]
    lines += [csv_line(cells) for record in records for cells in csv_rows(record, columns)]
    return "".join(lines)


def _face_line(number: int, face: dict) -> str:
    where = f"confidence {fixed(face['confidence'], 3)}, box [{', '.join(fixed(v, 0) for v in face['box'])}]"
    if face["score"] is None:
        return f"  face {number}: not scored: may not be a face ({face['unscored']}), {where}"
    emotion = f"{face['emotion']['label']} ({fixed(100 * max(face['emotion']['probs']), 0)}%)"
    return f"  face {number}: score {fixed(face['score']['expected'], 1)}, {emotion}, {where}"


def summary(record: dict) -> str:
    """A record in words, a line for the photo and one per face (both command lines print it;
    js/src/results.js summary is the same)."""
    if "error" in record:
        return f"{record['photo']}: skipped: {record['error']}"
    faces = record["faces"]
    lines = [f"{record['photo']} ({record['width']}x{record['height']}): "
             f"{'1 face' if len(faces) == 1 else f'{len(faces)} faces'}"]
    return "\n".join(lines + [_face_line(i, f) for i, f in enumerate(faces, start=1)])


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8", newline="")  # the text's own line ends (CSV: CRLF)
    os.replace(tmp, path)


def write_json(path: Path, records: list[dict]) -> None:
    _replace(path, json.dumps(records) + "\n")


def write_csv(path: Path, records: list[dict], earlier_rows: list[dict] = ()) -> None:
    """`earlier_rows`: rows of a file being resumed, kept as they are before the new records."""
    _replace(path, csv_text(records, spec.RESULT_CSV, earlier_rows))


class ResultFileError(ValueError):
    """An output file that --resume cannot read; the message names it."""


def read_json(path: Path) -> list[dict]:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ResultFileError(f"{path} is not a JSON results file to resume ({err})") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) and "photo" in r for r in records):
        raise ResultFileError(f"{path} is not a list of photo records; it cannot be resumed")
    return records


def read_csv_rows(path: Path) -> list[dict]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
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
