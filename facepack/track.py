"""Live mode in Python: the counterpart the browser's js/src/live.js is held to, frame by frame.

    frame ─ keyframe? ─ yes ─► the full cascade (facepack.detect)
                      └ no ──► RNet and ONet alone on each track's last box, squared and grown
                               by spec.LIVE.margin (Detector.refine)
          ─► faces matched to tracks by IoU; a track with no face is lost, and the next frame is
             a keyframe; a keyframe starts new tracks for new faces
          ─► scorer and emotion (facepack.pipeline) on every face on a scoring frame (every
             spec.LIVE.score_every-th), else only on new tracks' faces and faces at the frame's
             edge (at_edge); the others keep their track's last score and emotion. On each
             scoring the shown score and emotion are smoothed:
             shown = smoothing * shown before + (1 - smoothing) * this frame's
             A face the gate stops (spec.FaceGate) on a scoring frame is unscored, and its track
             shows nothing until a scoring frame passes it; smoothing then starts again.

A keyframe is the first frame, every spec.LIVE.keyframe_every-th frame, and the frame after a
face was lost (or when there is no track).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from facepack import spec
from facepack.detect import Face
from facepack.pipeline import FaceResult, ReferencePipeline


def grown_square(box, margin: float) -> np.ndarray:
    """The square around `box`'s centre, its side the box's longer side times (1 + 2 * margin)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    side = max(x2 - x1, y2 - y1) * (1 + 2 * margin)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    return np.array([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2])


def at_edge(box, width: int, height: int, edge: float = spec.LIVE.edge) -> bool:
    """Whether a face's box comes within `edge` of the frame's side to its border (boxes are
    clipped to the frame, on the detector's downscaled copy when the frame is over max_side):
    such a face is likely partly outside, and its crop changes from frame to frame as it comes in
    or goes out, so live mode scores it on every frame."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return min(x1, width - x2) <= edge * width or min(y1, height - y2) <= edge * height


def iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Track:
    id: int
    result: FaceResult  # this frame's face; its score and emotion from the last frame that scored it
    shown_score: float | None  # smoothed expected score, points; None while the face is unscored
    shown_emotion: np.ndarray | None  # smoothed emotion probabilities; None while unscored
    scored: bool = True  # whether this frame scored the face


@dataclass
class LiveFrame:
    keyframe: bool
    tracks: list[Track] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The shape of js/src/live.js's step(): {keyframe, faces: [{id, scored, ...face, shown}]}."""
        return {"keyframe": self.keyframe, "faces": [
            {"id": t.id, "scored": t.scored, **t.result.as_dict(),
             "shown": _shown(t)} for t in self.tracks]}


def _shown(track: Track) -> dict:
    if track.shown_score is None:
        return {"score": None, "emotion": None, "emotion_probs": None}
    return {"score": track.shown_score, "emotion": spec.EMOTION_LABELS[int(np.argmax(track.shown_emotion))],
            "emotion_probs": track.shown_emotion.tolist()}


def _smoothed(before: float | np.ndarray | None, now, s: float):
    """`s` * before + (1 - `s`) * now; `now` alone when there is no before, None when `now` is None."""
    if now is None:
        return None
    now = np.asarray(now, np.float64) if np.ndim(now) else float(now)
    return now if before is None else s * before + (1 - s) * now


class Tracker:
    """Feed it frames in order with `step`."""

    def __init__(self, pipeline: ReferencePipeline, live: spec.LiveSpec = spec.LIVE) -> None:
        self.pipeline, self.live = pipeline, live
        self.tracks: list[Track] = []
        self.frame = 0
        self.lost = False
        self.next_id = 0

    def step(self, image: np.ndarray) -> LiveFrame:
        keyframe = self.lost or not self.tracks or self.frame % self.live.keyframe_every == 0
        if keyframe:
            faces = self.pipeline.detect(image)
        else:
            faces = self.pipeline.detector.refine(image, [grown_square(t.result.face.box, self.live.margin)
                                                          for t in self.tracks])
        matched, new, self.lost = self._match(faces, keyframe)
        height, width = image.shape[:2]
        due = [self.frame % self.live.score_every == 0 or at_edge(face.box, width, height, self.live.edge)
               for _, face in matched]
        to_score = [face for (_, face), scoring in zip(matched, due, strict=True) if scoring]
        results = iter(self.pipeline.results(image, to_score + new))
        s = self.live.smoothing
        tracks = []
        for (track, face), scoring in zip(matched, due, strict=True):
            if scoring:
                r = next(results)
                tracks.append(Track(track.id, r, _smoothed(track.shown_score, r.expected, s),
                                    _smoothed(track.shown_emotion, r.emotion_probs, s)))
            else:
                last = track.result
                tracks.append(Track(track.id, FaceResult(face, last.score_probs, last.emotion_probs, last.reference,
                                                         last.unscored),
                                    track.shown_score, track.shown_emotion, scored=False))
        for r in results:
            tracks.append(Track(self.next_id, r, _smoothed(None, r.expected, s), _smoothed(None, r.emotion_probs, s)))
            self.next_id += 1
        self.tracks = tracks
        self.frame += 1
        return LiveFrame(keyframe, list(self.tracks))

    def _match(self, faces: list[Face], keyframe: bool) -> tuple[list[tuple[Track, Face]], list[Face], bool]:
        """Each previous track takes the free face it overlaps most (IoU > 0), in track order;
        a keyframe's other faces start tracks, a tracking frame's are dropped.
        Returns (track, face) pairs, the faces that start tracks, and whether a track was lost."""
        free = list(range(len(faces)))
        matched, lost = [], False
        for track in self.tracks:
            best = max(free, key=lambda i: iou(track.result.face.box, faces[i].box), default=None)
            if best is None or iou(track.result.face.box, faces[best].box) <= 0:
                lost = True
                continue
            free.remove(best)
            matched.append((track, faces[best]))
        if not keyframe:
            return matched, [], lost
        # a keyframe's faces are the truth; a vanished track is simply gone
        return matched, [faces[i] for i in free], False
