// Live mode: the full cascade on a keyframe, tracking in between, for video.
// Python counterpart: facepack/track.py (the same rules; the tests hold the two together frame
// by frame). Settings come from the manifest's `live` (facepack.spec.LiveSpec).
//
//   const live = new LiveTracker(fp);
//   const frame = await live.step(videoOrCanvasOrImageData);   // {keyframe, faces: [...]}
//   // each face: {id, box, landmarks, confidence, score, emotion, unscored, shown: {score, emotion, emotion_probs}}
//   // (a face the gate leaves unscored: score, emotion and shown's fields null)
import { rgbPixels } from './image.js';
import { argmax } from './score.js';

/** The square around `box`'s centre, its side the box's longer side times (1 + 2 * margin). */
export function grownSquare([x1, y1, x2, y2], margin) {
  const side = Math.max(x2 - x1, y2 - y1) * (1 + 2 * margin);
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  return [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2];
}

/**
 * Whether a face's box comes within `edge` (manifest live.edge) of the frame's side to its
 * border: such a face is likely partly outside, its crop changes as it comes in or goes out, and
 * live mode scores it on every frame.
 */
export function atEdge([x1, y1, x2, y2], width, height, edge) {
  return Math.min(x1, width - x2) <= edge * width || Math.min(y1, height - y2) <= edge * height;
}

export function iou(a, b) {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * A track's shown score and emotion after a frame scored its face `r`: smoothed with what it
 * showed before (`track`; null for a new track), started afresh after an unscored stretch, and
 * null while the gate leaves the face unscored (Python: facepack.track._smoothed).
 */
function shown(track, r, s) {
  if (r.unscored) return { shownScore: null, shownEmotion: null };
  if (!track || track.shownScore === null) return { shownScore: r.score.expected, shownEmotion: [...r.emotion.probs] };
  return {
    shownScore: s * track.shownScore + (1 - s) * r.score.expected,
    shownEmotion: track.shownEmotion.map((p, k) => s * p + (1 - s) * r.emotion.probs[k]),
  };
}

export class LiveTracker {
  constructor(facepack, settings = facepack.manifest.live) {
    this.fp = facepack;
    this.settings = settings;
    this.tracks = []; // {id, face, shownScore, shownEmotion, scored}
    this.frame = 0;
    this.lost = false;
    this.nextId = 0;
    this.timings = {};
  }

  /** One video frame (anything Facepack.analyze takes): {keyframe, faces}. */
  async step(source) {
    const { fp, settings } = this;
    const start = performance.now();
    fp.timings = {};
    const pixels = rgbPixels(source, fp.manifest.images);
    const keyframe = this.lost || this.tracks.length === 0 || this.frame % settings.keyframe_every === 0;
    const faces = keyframe
      ? await fp.detectPixels(pixels)
      : await fp.refinePixels(
          pixels,
          this.tracks.map((t) => grownSquare(t.face.box, settings.margin)),
        );
    const { matched, fresh, lost } = this.match(faces, keyframe);
    // The scorer and emotion run on every face on a scoring frame, on a face at the frame's edge,
    // and on new tracks' faces; the other faces keep their track's last score and emotion.
    const due = matched.map(
      ([, face]) => this.frame % settings.score_every === 0 || atEdge(face.box, pixels.width, pixels.height, settings.edge),
    );
    const toScore = [...matched.filter((_, i) => due[i]).map(([, face]) => face), ...fresh];
    const results = await fp.results(pixels, toScore);
    const s = settings.smoothing;
    let next = 0;
    const tracks = matched.map(([track, face], i) => {
      if (!due[i]) {
        const { score, emotion, unscored } = track.face;
        return { ...track, face: { ...face, score, emotion, unscored }, scored: false };
      }
      const r = results[next];
      next += 1;
      return { id: track.id, face: r, ...shown(track, r, s), scored: true };
    });
    for (const r of results.slice(next)) {
      tracks.push({ id: this.nextId, face: r, ...shown(null, r, s), scored: true });
      this.nextId += 1;
    }
    this.tracks = tracks;
    this.lost = lost;
    this.frame += 1;
    fp.timings.total = performance.now() - start;
    this.timings = fp.timings;
    return {
      keyframe,
      faces: this.tracks.map((t) => ({
        id: t.id,
        scored: t.scored,
        ...t.face,
        shown:
          t.shownScore === null
            ? { score: null, emotion: null, emotion_probs: null }
            : { score: t.shownScore, emotion: fp.manifest.models.emotion.labels[argmax(t.shownEmotion)], emotion_probs: t.shownEmotion },
      })),
    };
  }

  /**
   * Each previous track takes the free face it overlaps most (IoU > 0), in track order; a
   * keyframe's other faces start tracks (`fresh`), a tracking frame's are dropped; a track left
   * without a face is lost, and the next frame is a keyframe.
   */
  match(faces, keyframe) {
    const free = faces.map((_, i) => i);
    const matched = [];
    let lost = false;
    for (const track of this.tracks) {
      let best = -1;
      let bestIou = 0;
      for (const i of free) {
        const overlap = iou(track.face.box, faces[i].box);
        if (overlap > bestIou) [best, bestIou] = [i, overlap];
      }
      if (best < 0) {
        lost = true;
        continue;
      }
      free.splice(free.indexOf(best), 1);
      matched.push([track, faces[best]]);
    }
    // A keyframe's faces are the truth; a vanished track is simply gone.
    if (keyframe) return { matched, fresh: free.map((i) => faces[i]), lost: false };
    return { matched, fresh: [], lost };
  }
}
