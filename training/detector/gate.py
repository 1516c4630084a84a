"""Which detections are faces: the measurement behind spec.FaceGate (`python -m training detector-gate`).

The detector (the `mtcnn` package's cascade, as the browser runs it) is run on photos whose
truth is known, and every detection it returns is labelled:

    face     SCUT-FBP5500 photos (its one face: the detection whose box holds both annotated eye
             centres), face-api's six demo photos (the detector finds 21 faces there, every one
             real, checked by eye), and group photos tiled from SCUT-FBP5500 photos (faces of
             about 19-86 px);
    false    face-free photos (Debian's opencv-doc samples and wallpapers, scikit-image's data
             images; no face in them, photographed, printed or drawn), each also mirrored,
             rescaled and turned (NEGATIVE_VARIANTS), and SCUT-FBP5500 photos with the face
             blurred away (the region of its 86 landmarks, grown by a third);
    neither  a detection on a photo of people (PEOPLE_SETS) that holds no annotated eyes: it may
             be a face in the background.

Each set has a validation part and a test part (SCUT: the 60/40 split's training photos held
out as the scorer's fit holds them out, and its test photos; face-free photos: by the file's
name). The gate's threshold is chosen on the validation parts only; the report gives both parts'
rates. Detections are cached per set under --cache as they are found, so an interrupted run
continues where it stopped.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from tqdm import tqdm

from facepack import assets, images, spec
from facepack.detect import Detector, Face
from training.common import write_json
from training.dataset import DatasetError, ScutFbp5500
from training.detector.annotations import read_pts, scut_five_points

PACKAGE_NETS = "the mtcnn package's nets"
SAVE_EVERY = 50  # photos between two saves of a set's cache
CACHE_FORMAT = 2  # 2: detections carry refined_confidence
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
# A face-free photo has no face in it, photographed, printed or drawn. opencv-doc's samples with
# one: four of people, two stereo-calibration photos in which the man holding the board shows
# his face (left06, right06), a newspaper's printed face (sudoku) and a graffiti wall with drawn
# faces (graf1, graf3). The last five were found by this measurement (the gate scores them) and
# checked by eye; `make negatives` leaves them out too.
OPENCV_WITH_FACES = ("messi5.jpg", "basketball1.png", "basketball2.png", "ml.png", "left06.jpg", "right06.jpg",
                     "sudoku.png", "graf1.png", "graf3.png")
# Debian's wallpaper packages (gnome-backgrounds, mate-backgrounds, ukui-wallpapers,
# sway-backgrounds, lomiri-wallpapers, mypaint-data-extras): landscapes, flowers, animals,
# abstract art and paper textures, read when installed.
WALLPAPER_DIRS = (Path("/usr/share/backgrounds"), Path("/usr/share/mypaint/backgrounds"))
WALLPAPERS_WITH_FACES = ("pixels-d.webp", "pixels-l.webp")  # icons, among them smiley faces
# scikit-image's data images of people (the astronaut, the cameraman, a GIF of a person)
SKIMAGE_WITH_FACES = ("astronaut.png", "camera.png", "no_time_for_that_tiny.gif")
NEGATIVE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif")
# (name, scale, mirror, quarter turns clockwise)
NEGATIVE_VARIANTS = (("plain", 1.0, False, 0), ("mirror", 1.0, True, 0), ("x0.6", 0.6, False, 0),
                     ("x1.6", 1.6, False, 0), ("x0.4", 0.4, False, 0), ("x2.5", 2.5, False, 0),
                     ("turn90", 1.0, False, 1), ("turn180", 1.0, False, 2))
# Sets of photos of people: a detection there that holds no annotated face's eyes may still be
# a face (SCUT-FBP5500 has people in the background, cut off at the photo's edge), so it counts
# as neither real nor false; the report counts these.
PEOPLE_SETS = ("scut", "groups")
GROUP_CELLS = (48, 64, 96)  # side of one tiled SCUT photo: its face's box is then 19-86 px wide (median 25-49)
GROUP_COLUMNS = 4


@dataclass(frozen=True)
class Photo:
    """One photo of a set: its id, how to load it, and the eye centres of its true faces
    ((n, 2, 2) pixels; None: every detection is a face; empty: every detection is false)."""

    id: str
    part: str  # "val" or "test"
    load: Callable[[], np.ndarray]
    eyes: np.ndarray | None


def _part(name: str) -> str:
    """A face-free photo's part, by its name (stable across machines and runs)."""
    return "val" if hashlib.sha256(name.encode()).digest()[0] % 2 == 0 else "test"


def _scut_parts(scut: ScutFbp5500, seed: int, fraction: float, test_limit: int | None) -> list[tuple[str, str]]:
    from training.scorer.fit import split_val

    (fold,) = scut.folds("split60")
    _, val = split_val(list(fold.train), fraction, seed)
    test = list(fold.test)[:test_limit] if test_limit else list(fold.test)
    return [(s.name, "val") for s in val] + [(s.name, "test") for s in test]


def _scut_eyes(scut: ScutFbp5500, name: str) -> np.ndarray | None:
    points = read_pts(scut.root / "facial landmark" / (Path(name).stem + ".pts"))
    return None if len(points) == 0 else points


def _load_scut(scut: ScutFbp5500, name: str) -> np.ndarray:
    return images.load_image(scut.images / name)


def scut_photos(scut: ScutFbp5500, parts: list[tuple[str, str]]) -> Iterator[Photo]:
    for name, part in parts:
        points = _scut_eyes(scut, name)
        if points is None:
            continue
        eyes = scut_five_points(points)[None, :2]
        yield Photo(name, part, lambda name=name: _load_scut(scut, name), eyes)


def blurred_face(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """`image` with the region of its 86 landmarks, grown by a third about its centre, blurred away."""
    x1, y1 = points.min(axis=0)
    x2, y2 = points.max(axis=0)
    cx, cy, half = (x1 + x2) / 2, (y1 + y2) / 2, 2 / 3 * max(x2 - x1, y2 - y1)
    photo = Image.fromarray(image)
    box = tuple(int(round(v)) for v in (cx - half, cy - half * 1.2, cx + half, cy + half))
    region = photo.crop(box).filter(ImageFilter.GaussianBlur(radius=float(max(4.0, half / 4))))
    photo.paste(region, box[:2])
    return np.asarray(photo)


def cutout_photos(scut: ScutFbp5500, parts: list[tuple[str, str]]) -> Iterator[Photo]:
    for name, part in parts:
        points = _scut_eyes(scut, name)
        if points is None:
            continue
        load = functools.partial(lambda name, points: blurred_face(_load_scut(scut, name), points), name, points)
        yield Photo(f"cutout/{name}", part, load, np.zeros((0, 2, 2)))


def group_photo(scut: ScutFbp5500, names: list[str], cell: int) -> tuple[np.ndarray, np.ndarray]:
    """SCUT photos tiled `GROUP_COLUMNS` to a row at `cell` px each: (pixels, eyes (n, 2, 2))."""
    rows = -(-len(names) // GROUP_COLUMNS)
    sheet = Image.new("RGB", (GROUP_COLUMNS * cell, rows * cell), (128, 128, 128))
    eyes = []
    for i, name in enumerate(names):
        photo = Image.fromarray(_load_scut(scut, name))
        scale = cell / max(photo.size)
        x0, y0 = (i % GROUP_COLUMNS) * cell, (i // GROUP_COLUMNS) * cell
        sheet.paste(photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.BILINEAR), (x0, y0))
        eyes.append(scut_five_points(_scut_eyes(scut, name))[:2] * scale + [x0, y0])
    return np.asarray(sheet), np.array(eyes)


def group_photos(scut: ScutFbp5500, parts: list[tuple[str, str]], per_photo: int = 8) -> Iterator[Photo]:
    for part in ("val", "test"):
        names = [n for n, p in parts if p == part and _scut_eyes(scut, n) is not None]
        for start in range(0, len(names), per_photo * 10):  # every tenth run of photos
            chunk = names[start:start + per_photo]
            for cell in GROUP_CELLS:
                sheet, eyes = group_photo(scut, chunk, cell)
                # named by its first photo: a sheet of other photos is another id, never a stale cache entry
                yield Photo(f"group/{part}-{chunk[0]}-{cell}", part, lambda sheet=sheet: sheet, eyes)


def face_free_files(skimage_too: bool = True) -> list[Path]:
    """opencv-doc's sample photos, Debian's wallpapers and scikit-image's data images, less those
    with people."""
    files = []
    for folder in WALLPAPER_DIRS:
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")
                            and p.name not in WALLPAPERS_WITH_FACES)
    if OPENCV_DATA.is_dir():
        files += sorted(p for p in OPENCV_DATA.iterdir()
                        if p.suffix in (".jpg", ".png") and p.name not in OPENCV_WITH_FACES)
    if skimage_too:
        try:
            import skimage
        except ImportError:
            skimage = None
        if skimage is not None:
            data = Path(skimage.__file__).parent / "data"
            files += sorted(p for p in data.iterdir()
                            if p.suffix in (".png", ".jpg", ".gif") and p.name not in SKIMAGE_WITH_FACES)
    return files


BASE_SIDE = 640  # a face-free photo larger than this (a wallpaper) is first shrunk to it, as opencv-doc's are


def _base_scale(path: Path) -> float:
    with Image.open(path) as photo:
        return min(1.0, BASE_SIDE / max(photo.size))


def _variant(path: Path, scale: float, mirror: bool, turns: int = 0) -> np.ndarray:
    photo = Image.fromarray(images.load_image(path))
    scale *= _base_scale(path)
    if mirror:
        photo = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if turns:
        photo = photo.rotate(-90 * turns, expand=True)
    if scale != 1.0:
        photo = photo.resize((max(1, round(photo.width * scale)), max(1, round(photo.height * scale))), Image.BILINEAR)
    return np.asarray(photo)


def negative_photos(files: list[Path]) -> Iterator[Photo]:
    for path in files:
        base = "" if _base_scale(path) == 1.0 else f"@{BASE_SIDE}"
        for label, scale, mirror, turns in NEGATIVE_VARIANTS:
            yield Photo(f"{path.parent.name}/{path.name}{base}/{label}", _part(path.name),
                        functools.partial(_variant, path, scale, mirror, turns), np.zeros((0, 2, 2)))


def demo_photos() -> Iterator[Photo]:
    for path in assets.sample_photos():
        yield Photo(f"demo/{path.name}", "test", lambda path=path: images.load_image(path), None)


def label(face: Face, eyes: np.ndarray | None) -> bool:
    """Whether a detection is a true face: its box holds both eye centres of one true face."""
    if eyes is None:
        return True
    x1, y1, x2, y2 = face.box
    inside = (eyes[..., 0] >= x1) & (eyes[..., 0] <= x2) & (eyes[..., 1] >= y1) & (eyes[..., 1] <= y2)
    return bool(inside.all(axis=-1).any()) if len(eyes) else False


def detection_record(face: Face, is_face: bool) -> dict:
    return {"box": face.box.round(2).tolist(), "landmarks": face.landmarks.round(2).tolist(),
            "confidence": face.confidence, "refined_confidence": face.refined_confidence, "face": is_face}


def detect_set(name: str, photos: list[Photo], detector: Detector, cache: Path) -> dict[str, dict]:
    """id -> {part, faces_expected, detections: [...]}, cached in `cache` as it goes."""
    done: dict[str, dict] = json.loads(cache.read_text()) if cache.exists() else {}
    todo = [p for p in photos if p.id not in done]
    for i, photo in enumerate(tqdm(todo, desc=f"detect {name}", unit="photo", disable=not todo), start=1):
        try:
            image = photo.load()
        except (images.ImageError, OSError) as err:  # named; what was detected so far is kept
            write_json(cache, done)
            raise DatasetError(f"{photo.id} cannot be read: {err}") from None
        faces = detector.detect([image])[0]
        done[photo.id] = {"part": photo.part, "true_faces": None if photo.eyes is None else len(photo.eyes),
                          "detections": [detection_record(f, label(f, photo.eyes)) for f in faces]}
        if i % SAVE_EVERY == 0:
            write_json(cache, done)
    if todo:
        write_json(cache, done)
    # the part as this run assigns it (a cached record keeps the one of the run that detected it)
    return {p.id: {**done[p.id], "part": p.part} for p in photos}


def _nets_key(run_dir: Path | None) -> str:
    """What the nets are: the package's, or a trained run's (the sha256 of its weights)."""
    if run_dir is None:
        return "package"
    digest = hashlib.sha256()
    for net in ("pnet", "rnet", "onet"):
        digest.update((Path(run_dir) / f"{net}.npz").read_bytes())
    digest.update((Path(run_dir) / "cascade.json").read_bytes() if (Path(run_dir) / "cascade.json").exists() else b"")
    return digest.hexdigest()[:12]


def collect(data: Path, cache_dir: Path, seed: int, fraction: float, test_limit: int | None = None,
            negatives: list[Path] | None = None, detector_run: Path | None = None) -> dict[str, dict]:
    """Every set's detections: {set: {photo id: record}}. `negatives`: folders of face-free photos
    (default: opencv-doc's and scikit-image's, less those with people); `detector_run`: a
    `python -m training detector` run folder (default: the `mtcnn` package's nets)."""
    from training.scorer.crops import detections_key

    scut = ScutFbp5500(data)
    parts = _scut_parts(scut, seed, fraction, test_limit)
    cutout_parts = [(n, p) for i, (n, p) in enumerate(parts) if p == "val" or i % 2 == 0]
    files = face_free_files() if negatives is None else sorted(
        p for folder in negatives for p in Path(folder).iterdir() if p.suffix.lower() in NEGATIVE_SUFFIXES)
    if not files:
        raise DatasetError(f"no face-free photos: give --negatives, or install Debian's opencv-doc ({OPENCV_DATA}) "
                           "or scikit-image")
    sets = {
        "scut": list(scut_photos(scut, parts)),
        "demo": list(demo_photos()),
        "groups": list(group_photos(scut, parts)),
        "face-free": list(negative_photos(files)),
        "cutout": list(cutout_photos(scut, cutout_parts)),
    }
    detector = Detector(detector_run)
    key = f"{detections_key()}-{CACHE_FORMAT}" + ("" if detector_run is None else f"-{_nets_key(detector_run)}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    return {name: detect_set(name, photos, detector, cache_dir / f"gate-{name}-{key}.json")
            for name, photos in sets.items()}


# The rules tried: a threshold on the cascade's confidence and one on the refined confidence
# (spec.FaceGate). The rule kept is, of those that leave at most MAX_FACES_LOST of the
# validation photos' real faces unscored (half the 0.5% allowed, a margin for the test photos),
# the one that scores the fewest validation false detections; of those, the one with the highest
# refined threshold, then the lowest confidence threshold. False detections are rare (about 2 in
# 100 face-free photos), so they are sampled thinly: the face-loss budget is spent on a margin
# against them rather than left unused, and on the refined confidence, which separates them (the
# cascade's confidence hardly does: the false ones span 0.80-0.96, real faces reach down to 0.81).
CONFIDENCE_GRID = (0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99)
REFINED_GRID = tuple(round(0.05 * k, 2) for k in range(20))  # 0 (no threshold) to 0.95
MAX_FACES_LOST = 0.0025


@dataclass(frozen=True)
class Detections:
    confidence: np.ndarray
    refined: np.ndarray
    is_face: np.ndarray  # bool
    where: list[str]  # "set/photo id"

    def scored(self, gate: spec.FaceGate) -> np.ndarray:
        return np.array([gate.reason(c, r) is None for c, r in zip(self.confidence, self.refined, strict=True)], bool)

    def rates(self, gate: spec.FaceGate) -> dict:
        """Real faces left unscored and false detections scored under `gate`, as counts and shares."""
        scored = self.scored(gate)
        faces, false = int(self.is_face.sum()), int((~self.is_face).sum())
        lost, passed = int((self.is_face & ~scored).sum()), int((~self.is_face & scored).sum())
        return {"faces": faces, "faces_unscored": lost, "faces_unscored_rate": lost / faces if faces else 0.0,
                "false": false, "false_scored": passed, "false_scored_rate": passed / false if false else 0.0}

    def misses(self, gate: spec.FaceGate) -> dict[str, list[str]]:
        scored = self.scored(gate)
        return {"faces_unscored": [w for w, f, s in zip(self.where, self.is_face, scored, strict=True) if f and not s],
                "false_scored": [w for w, f, s in zip(self.where, self.is_face, scored, strict=True) if not f and s]}


def detections(sets: dict[str, dict], part: str | None = None, names: tuple[str, ...] | None = None) -> Detections:
    """Every detection of the sets (of one part, of some sets only)."""
    conf, refined, face, where = [], [], [], []
    for name, records in sets.items():
        if names is not None and name not in names:
            continue
        for photo, record in records.items():
            if part is not None and record["part"] != part:
                continue
            for d in record["detections"]:
                if name in PEOPLE_SETS and not d["face"]:
                    continue  # perhaps a face in the background: neither real nor false (PEOPLE_SETS)
                conf.append(d["confidence"])
                refined.append(d["refined_confidence"])
                face.append(d["face"])
                where.append(f"{name}/{photo}")
    return Detections(np.array(conf), np.array(refined), np.array(face, bool), where)


def choose(val: Detections) -> tuple[spec.FaceGate, list[dict]]:
    """The rule kept on the validation detections, and every rule tried with its rates."""
    tried = []
    for c in CONFIDENCE_GRID:
        for r in REFINED_GRID:
            tried.append({"min_confidence": c, "min_refined_confidence": r, **val.rates(spec.FaceGate(c, r))})
    fit = [t for t in tried if t["faces_unscored_rate"] <= MAX_FACES_LOST]
    if not fit:
        raise ValueError(f"no rule of the grid leaves at most {MAX_FACES_LOST:.2%} of the validation's real faces "
                         "unscored; the lowest confidence threshold tried is 0.8 (the mtcnn package's ONet threshold)")
    best = min(fit, key=lambda t: (t["false_scored"], -t["min_refined_confidence"], t["min_confidence"]))
    return spec.FaceGate(best["min_confidence"], best["min_refined_confidence"]), tried


def _rule(gate: spec.FaceGate) -> dict:
    return {"min_confidence": gate.min_confidence, "min_refined_confidence": gate.min_refined_confidence}


def measure(sets: dict[str, dict]) -> dict:
    """The rule chosen on the validation parts, and its rates on each part and on each set's
    test part; the same for the rule facepack ships (spec.GATE) and for no rule at all."""
    gate, tried = choose(detections(sets, "val"))
    test = detections(sets, "test")

    def figures(rule: spec.FaceGate) -> dict:
        return {"rule": _rule(rule), "validation": detections(sets, "val").rates(rule), "test": test.rates(rule),
                "test_by_set": {name: detections(sets, "test", (name,)).rates(rule) for name in sets}}

    return {"chosen": {**figures(gate), "test_misses": test.misses(gate)},
            "shipped": figures(spec.GATE),
            "no_gate": figures(spec.FaceGate(0.0, 0.0)),
            "how": f"chosen on the validation parts: of the rules leaving at most {MAX_FACES_LOST:.2%} of the real "
                   "faces unscored, the fewest false detections scored, then the highest refined threshold, then the "
                   "lowest confidence threshold",
            "photos": {name: {part: sum(r["part"] == part for r in records.values()) for part in ("val", "test")}
                       for name, records in sets.items()},
            "background_detections": {name: sum(not d["face"] for r in sets[name].values() for d in r["detections"])
                                      for name in PEOPLE_SETS if name in sets},
            "tried": tried}


SHIPPED_REPORT = Path(spec.__file__).with_name("gate_report.json")  # what bundles carry as gate_report


def summary(report: dict, command: str) -> dict:
    """The part of a report a bundle carries (manifest gate_report, the page's model card)."""
    chosen = report["chosen"]
    return {"rule": chosen["rule"], "validation": chosen["validation"], "test": chosen["test"],
            "test_by_set": chosen["test_by_set"], "photos": report["photos"],
            "background_detections": report["background_detections"], "detector": report["detector"],
            "command": command, "measured_utc": report["measured_utc"]}


def ship(report: dict, command: str, path: Path = SHIPPED_REPORT) -> Path:
    """Write the summary as the shipped gate's measurement; refused unless the chosen rule is spec.GATE."""
    if report["chosen"]["rule"] != spec.as_dict(spec.GATE):
        raise ValueError(f"the rule chosen, {report['chosen']['rule']}, is not facepack.spec.GATE's "
                         f"{spec.as_dict(spec.GATE)}: set FaceGate's defaults to it first, then --ship")
    if report["detector"] != PACKAGE_NETS:
        raise ValueError("only a measurement of the mtcnn package's nets can be shipped (bundles carry it "
                         "for those nets)")
    write_json(path, summary(report, command))
    return path


def plot(sets: dict[str, dict], gate: spec.FaceGate, path: Path) -> None:
    """Confidence against refined confidence of every test detection, real and false, with the rule."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    test = detections(sets, "test")
    fig, ax = plt.subplots(figsize=(6, 5))
    for mask, colour, label in ((test.is_face, "tab:green", "real faces"), (~test.is_face, "tab:red", "false")):
        ax.scatter(test.refined[mask], test.confidence[mask], s=6, c=colour, alpha=0.5,
                   label=f"{label} ({int(mask.sum())})")
    ax.axhline(gate.min_confidence, color="k", lw=0.8)
    ax.axvline(gate.min_refined_confidence, color="k", lw=0.8)
    ax.set_xlabel("refined confidence (ONet on the face's last square)")
    ax.set_ylabel("confidence (the cascade's)")
    ax.set_title("Test detections: the gate scores the top right")
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_gate(data: Path, cache: Path, run_dir: Path, negatives: list[Path] | None = None,
             test_limit: int | None = None, seed: int = 0, fraction: float = 0.1,
             detector_run: Path | None = None) -> dict:
    """Collect the detections (cached), choose the rule, and write `run_dir`: report.json and
    gate.png, in a .partial folder until complete."""
    from training.common import provenance, run_folder

    sets = collect(data, cache, seed, fraction, test_limit, negatives, detector_run)
    report = measure(sets)
    report["detector"] = PACKAGE_NETS if detector_run is None else str(detector_run)
    report["measured_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    report["provenance"] = provenance()
    with run_folder(run_dir) as out:
        write_json(out / "report.json", report)
        plot(sets, spec.FaceGate(**report["chosen"]["rule"]), out / "gate.png")
    return report
