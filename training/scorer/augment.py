"""Augmented training crops: views of the whole photo, detected once, then jittered crops.

For every training photo:
    the clean crop and its mirror image (what `crop_all` cuts, as the browser does)
    + `views` changed copies of the whole photo (training.scorer.transforms.random_view: turned up to
      +-40 degrees, shrunk, framed larger, recompressed, mirrored), each run through the real
      detector, so a view's landmarks carry the detector's own noise on that face;
      each view gives one crop with jittered landmarks, scale and shift, then low resolution,
      JPEG, brightness and contrast (training.scorer.transforms.CropJitter).

Two caches under the cache folder, keyed by everything that made them:
    views-<key>.json   "<name>#<view>" -> the detected face (or null); views are drawn from a
                       seed per photo, so the key is the detector, the view settings and the seed
    pool-<key>.npy     uint8 crops, with pool-<key>.json naming each row's photo
A second run detects nothing; changing the jitter only re-cuts the crops (a minute or two).
"""

from __future__ import annotations

import dataclasses
import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facepack import spec
from facepack.crop import crop_square, sample_square
from facepack.detect import Face
from training.common import write_json
from training.dataset import Dataset, Sample
from training.scorer.crops import _key, crop_all, detect_cached, detections_key, face_from_record, load_image
from training.scorer.transforms import (
    CropJitter,
    PhotoChange,
    ViewConfig,
    degrade_crop,
    jitter_landmarks,
    jitter_square,
    random_view,
)

# Views are data, not a training choice: one fixed seed, so every run shares the cached views.
VIEW_SEED = 0


@dataclass
class CropPool:
    names: list[str]  # the photo of each row
    crops: np.ndarray  # uint8 (N, S, S, 3)
    kinds: list[str]  # "clean", "mirror" or "view"

    def rows_of(self, names: set[str]) -> np.ndarray:
        return np.array([i for i, n in enumerate(self.names) if n in names], np.int64)


def view_changes(name: str, views: int, config: ViewConfig, seed: int) -> list[PhotoChange]:
    """The views of one photo: the same on every run for the same seed."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    return [random_view(rng, config) for _ in range(views)]


def detect_views(dataset: Dataset, samples: list[Sample], cache_dir: Path, views: int, config: ViewConfig,
                 seed: int, progress: bool = True) -> dict[str, list[tuple[PhotoChange, Face | None]]]:
    """name -> [(change, the main face the detector finds in the changed photo)] per view."""
    key = _key(detections_key(), views, dataclasses.asdict(config), seed)
    path = cache_dir / f"views-{key}.json"
    changes = {s.name: view_changes(s.name, views, config, seed) for s in samples}

    def loader(sample: Sample, change: PhotoChange):
        return lambda: change.apply(load_image(dataset.image_path(sample)))

    jobs = [(f"{s.name}#{j}", loader(s, change)) for s in samples for j, change in enumerate(changes[s.name])]
    cached = detect_cached(path, jobs, desc="detecting faces in training views", progress=progress)
    return {s.name: [(change, face_from_record(cached[f"{s.name}#{j}"])) for j, change in enumerate(changes[s.name])]
            for s in samples}


def augmented_pool(dataset: Dataset, samples: list[Sample], cache_dir: Path, rule: spec.CropRule, views: int,
                   view_config: ViewConfig, jitter: CropJitter, seed: int, progress: bool = True) -> CropPool:
    """Clean crops, their mirror images and one jittered crop per detected view, for `samples`."""
    clean = crop_all(dataset, samples, cache_dir, rule, progress=progress)
    found = detect_views(dataset, samples, cache_dir, views, view_config, seed, progress) if views else {}
    key = _key(clean.names, spec.as_dict(rule), views, dataclasses.asdict(view_config), dataclasses.asdict(jitter),
               seed, detections_key())
    npy, index = cache_dir / f"pool-{key}.npy", cache_dir / f"pool-{key}.json"
    if npy.exists() and index.exists():
        meta = json.loads(index.read_text())
        return CropPool(meta["names"], np.load(npy, mmap_mode="r"), meta["kinds"])
    rows = clean.index()
    names, kinds, crops = [], [], []
    for s in tqdm(samples, desc="cutting augmented crops", unit="photo", disable=not progress):
        if s.name not in rows:
            continue
        crop = np.asarray(clean.crops[rows[s.name]])
        names += [s.name, s.name]
        kinds += ["clean", "mirror"]
        crops += [crop, crop[:, ::-1]]
        rng = np.random.default_rng([seed, zlib.crc32(s.name.encode()), 1])
        for change, face in found.get(s.name, []):
            if face is None:
                continue
            photo = change.apply(load_image(dataset.image_path(s)))
            jittered = Face(face.box, jitter_landmarks(rng, face.landmarks, jitter.landmarks), face.confidence)
            square = jitter_square(rng, crop_square(jittered, rule), jitter)
            patch = np.clip(np.rint(sample_square(photo, square, rule.output, rule.fill)), 0, 255).astype(np.uint8)
            names.append(s.name)
            kinds.append("view")
            crops.append(degrade_crop(rng, patch, jitter))
    stacked = np.stack(crops)
    tmp = npy.with_name(f"{npy.stem}.tmp-{os.getpid()}.npy")  # a process of its own: no race
    np.save(tmp, stacked)
    os.replace(tmp, npy)
    write_json(index, {"names": names, "kinds": kinds})
    return CropPool(names, stacked, kinds)
