"""Face crops for training, made by the browser's detector and crop rule, cached on disk.

Two caches under `cache_dir`, each keyed by what produced it, so a second run detects nothing:
    detections-<key>.json   name -> {box, landmarks, confidence}, or null where no face was found
                            (key: detector settings + mtcnn version; saved as it goes, so an
                            interrupted run resumes where it stopped)
    crops-<key>.npy         uint8 (N, S, S, 3) crops in `names` order (+ crops-<key>.json)
                            (key: detections key + crop rule)
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facepack import images, spec
from facepack.crop import crop_faces
from facepack.detect import Detector, Face, main_face
from training.common import write_json
from training.dataset import Dataset, DatasetError, Sample

SAVE_EVERY = 200  # detections between two saves of the cache


@dataclass
class CropSet:
    names: list[str]
    crops: np.ndarray  # uint8 (N, S, S, 3)
    no_face: list[str]  # images where the detector found no face (not in `names`)

    def index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


CACHE_FORMAT = 2  # 2: landmarks stored as (5, 2) x, y pairs, parsed by facepack.detect


# The detector settings that change what the Python detector finds. The others (NMS methods,
# PNet's cell geometry) describe the `mtcnn` package's fixed behaviour, which DetectorSpec
# refuses to change, so they are left out of the cache key.
DETECTION_SETTINGS = ("min_face_size", "min_size", "scale_factor", "threshold_pnet", "threshold_rnet",
                      "threshold_onet", "nms_pnet_per_scale", "nms_pnet_across_scales", "nms_rnet", "nms_onet",
                      "pixel_offset", "pixel_divisor", "pyramid_resize", "patch_resize", "rnet_size", "onet_size",
                      "onet_refinements", "max_side")


def detections_key() -> str:
    from importlib.metadata import version

    settings = spec.as_dict(spec.DETECTOR)
    return _key({k: settings[k] for k in DETECTION_SETTINGS}, version("mtcnn"), CACHE_FORMAT)


def load_image(path: Path) -> np.ndarray:
    """RGB uint8, EXIF orientation applied (facepack.images: as the browser reads the photo).

    Raises:
        DatasetError: the file is not a readable image (truncated, not an image at all).
    """
    try:
        return images.load_image(path)
    except images.ImageError as err:
        raise DatasetError(str(err)) from None


def face_record(face: Face | None) -> dict | None:
    return None if face is None else {
        "box": face.box.tolist(), "landmarks": face.landmarks.tolist(), "confidence": face.confidence}


def face_from_record(record: dict | None) -> Face | None:
    return None if record is None else Face(
        np.asarray(record["box"]), np.asarray(record["landmarks"]), record["confidence"])


def detect_cached(path: Path, jobs: list[tuple[str, Callable[[], np.ndarray]]], desc: str = "detecting faces",
                  batch: int = 16, progress: bool = True) -> dict[str, dict | None]:
    """The main face of each job's photo, cached in the JSON file `path` under the job's key.

    A job is (key, a function returning the RGB photo); only jobs whose key is not cached yet
    load their photo and run the detector. Photos of one shape are detected in batches. The
    cache is saved every SAVE_EVERY photos and on any error or Ctrl+C, so a rerun resumes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    cached = json.loads(path.read_text()) if path.exists() else {}
    todo = [(key, load) for key, load in jobs if key not in cached]
    if not todo:
        return cached
    detector = Detector()
    by_shape: dict[tuple, list[tuple[str, np.ndarray]]] = defaultdict(list)
    bar = tqdm(total=len(todo), desc=desc, unit="img", disable=not progress)
    done_since_save = 0

    def flush(group: list[tuple[str, np.ndarray]]) -> None:
        nonlocal done_since_save
        for (key, _), faces in zip(group, detector.detect([im for _, im in group]), strict=True):
            cached[key] = face_record(main_face(faces))
        bar.update(len(group))
        done_since_save += len(group)
        if done_since_save >= SAVE_EVERY:
            write_json(path, cached)
            done_since_save = 0

    try:
        for key, load in todo:
            image = load()
            group = by_shape[image.shape]
            group.append((key, image))
            if len(group) == batch:
                flush(group)
                group.clear()
        for group in by_shape.values():
            if group:
                flush(group)
    finally:  # an error or Ctrl+C keeps every detection finished so far
        bar.close()
        write_json(path, cached)
    return cached


def detect_all(dataset: Dataset, samples: list[Sample], cache_dir: Path,
               batch: int = 16, progress: bool = True) -> dict[str, Face | None]:
    """The main face of every sample's image (None where none was found), cached."""
    path = cache_dir / f"detections-{detections_key()}.json"
    jobs = [(s.name, functools.partial(load_image, dataset.image_path(s))) for s in samples]
    cached = detect_cached(path, jobs, batch=batch, progress=progress)
    return {s.name: face_from_record(cached[s.name]) for s in samples}


def crop_all(dataset: Dataset, samples: list[Sample], cache_dir: Path, rule: spec.CropRule = spec.SCORER_CROP,
             progress: bool = True) -> CropSet:
    """Crops of every sample with a face, by `rule`; cached."""
    faces = detect_all(dataset, samples, cache_dir, progress=progress)
    names = [s.name for s in samples if faces[s.name] is not None]
    no_face = [s.name for s in samples if faces[s.name] is None]
    key = _key(detections_key(), spec.as_dict(rule), names)
    npy, index = cache_dir / f"crops-{key}.npy", cache_dir / f"crops-{key}.json"
    if npy.exists() and index.exists() and json.loads(index.read_text())["names"] == names:
        return CropSet(names, np.load(npy, mmap_mode="r"), no_face)
    crops = np.zeros((len(names), rule.output, rule.output, 3), np.uint8)
    by_name = {s.name: s for s in samples}
    for i, name in enumerate(tqdm(names, desc="cropping", unit="img", disable=not progress)):
        patch = crop_faces(load_image(dataset.image_path(by_name[name])), [faces[name]], rule)[0]
        crops[i] = np.clip(np.rint(patch), 0, 255).astype(np.uint8)
    tmp = npy.with_name(f"{npy.stem}.tmp-{os.getpid()}.npy")  # a process of its own: no race
    np.save(tmp, crops)
    os.replace(tmp, npy)
    write_json(index, {"names": names, "rule": spec.as_dict(rule), "no_face": no_face})
    return CropSet(names, crops, no_face)
