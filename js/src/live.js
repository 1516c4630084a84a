// Live mode: the full cascade on a keyframe, tracking in between, for video.
// Python counterpart: facepack/track.py (the same rules; the tests hold the two together frame
// by frame). Settings come from the manifest's `live` (facepack.spec.LiveSpec).
//
//   const live = new LiveTracker(fp);
//   const frame = await live.step(videoOrCanvasOrImageData);   // {keyframe, faces: [...]}
//   // each face: {id, box, landmarks, confidence, score, emotion, shown: {score, emotion, emotion_probs}}
import { rgbPixels } from './image.js';
import { argmax } from './score.js';

/** The square around `box`'s centre, its side the box's longer side times (1 + 2 * margin). */
export function grownSquare([x1, y1, x2, y2], margin) {
  const side = Math.max(x2 - x1, y2 - y1) * (1 + 2 * margin);
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  return [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2];
}

export function iou(a, b) {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

export class LiveTracker {
  constructor(facepack, settings = facepack.manifest.live) {
    this.fp = facepack;
    this.settings = settings;
    this.tracks = []; // {id, face, shownScore, shownEmotion}
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
    const results = await fp.results(pixels, faces);
    this.match(results, keyframe);
    this.frame += 1;
    fp.timings.total = performance.now() - start;
    this.timings = fp.timings;
    return {
      keyframe,
      faces: this.tracks.map((t) => ({
        id: t.id,
        ...t.face,
        shown: { score: t.shownScore, emotion: fp.manifest.models.emotion.labels[argmax(t.shownEmotion)], emotion_probs: t.shownEmotion },
      })),
    };
  }

  /**
   * Each previous track takes the free face it overlaps most (IoU > 0), in track order; a
   * keyframe's other faces start tracks, a tracking frame's are dropped; a track left without a
   * face is lost, and the next frame is a keyframe.
   */
  match(results, keyframe) {
    const s = this.settings.smoothing;
    const free = results.map((_, i) => i);
    const tracks = [];
    let lost = false;
    for (const track of this.tracks) {
      let best = -1;
      let bestIou = 0;
      for (const i of free) {
        const overlap = iou(track.face.box, results[i].box);
        if (overlap > bestIou) [best, bestIou] = [i, overlap];
      }
      if (best < 0) {
        lost = true;
        continue;
      }
      free.splice(free.indexOf(best), 1);
      const r = results[best];
      tracks.push({
        id: track.id,
        face: r,
        shownScore: s * track.shownScore + (1 - s) * r.score.expected,
        shownEmotion: track.shownEmotion.map((p, k) => s * p + (1 - s) * r.emotion.probs[k]),
      });
    }
    if (keyframe) {
      for (const i of free) {
        tracks.push({
          id: this.nextId,
          face: results[i],
          shownScore: results[i].score.expected,
          shownEmotion: [...results[i].emotion.probs],
        });
        this.nextId += 1;
      }
      lost = false; // a keyframe's faces are the truth; a vanished track is simply gone
    }
    this.tracks = tracks;
    this.lost = lost;
  }
}
