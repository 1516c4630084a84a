"""Where tests write what a person reads (screenshots, the parity table), and the parity report."""

from __future__ import annotations

import os
from pathlib import Path

REPORT_DIR = Path(os.environ.get("FACEPACK_REPORTS", Path(__file__).resolve().parents[2] / "reports"))
_MIN_KEYS = {"min_iou"}  # for these the worst is the smallest; for the rest the largest
_SUM_KEYS = {"emotion_mismatches", "unscored", "gate_straddles"}  # counts: added up


class ParityRow:
    def __init__(self, **fields):
        self.fields = fields

    def worst(self, **values) -> None:
        for key, value in values.items():
            old = self.fields.get(key)
            if key in _SUM_KEYS:
                self.fields[key] = (old or 0) + value
            elif old is None:
                self.fields[key] = value
            else:
                self.fields[key] = min(old, value) if key in _MIN_KEYS else max(old, value)


class ParityReport:
    """Worst browser-vs-Python differences per backend and photo (tests/browser/test_parity.py)."""

    COLUMNS = ("min_iou", "landmark_fraction", "confidence", "crop_probs", "crop_points", "e2e_points",
               "emotion_mismatches", "unscored", "gate_straddles")

    def __init__(self):
        self.rows: list[ParityRow] = []

    def row(self, backend: str, photo: str, **fields) -> ParityRow:
        row = ParityRow(backend=backend, photo=photo, **fields)
        self.rows.append(row)
        return row

    def per_backend(self) -> dict[str, dict]:
        summary: dict[str, ParityRow] = {}
        for row in self.rows:
            acc = summary.setdefault(row.fields["backend"], ParityRow(photos=0, faces=0))
            acc.fields["photos"] += 1
            acc.fields["faces"] += row.fields["faces"]
            acc.worst(**{k: row.fields[k] for k in self.COLUMNS if k in row.fields})
        return {backend: acc.fields for backend, acc in summary.items()}

    def table(self) -> str:
        head = ["backend", "photos", "faces", *self.COLUMNS]
        lines = [" | ".join(head)]
        for backend, fields in self.per_backend().items():
            cells = [backend] + [fields.get(k) for k in head[1:]]
            lines.append(" | ".join(f"{c:.6f}" if k == "min_iou" else f"{c:.3g}" if isinstance(c, float) else str(c)
                                    for k, c in zip(head, cells, strict=True)))
        return "\n".join(lines)
