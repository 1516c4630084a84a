// The webcam's live view: the full cascade on keyframes and tracking in between, drawn over each frame.
import { LiveTracker } from 'facepack';

import { $ } from './dom.js';
import { drawFaces } from './drawings.js';
import { emotionName, facesText, num, t } from './i18n.js';

/** The webcam button's action with `fp`: start the live view, or stop it when it runs. */
export function webcamToggle({ fp, setStatus }) {
  let live = null;

  return async function toggleWebcam() {
    if (live) {
      live.stop();
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    } catch (err) {
      setStatus('error', 'error.webcam', { detail: err.message });
      return;
    }
    const video = $('video');
    video.srcObject = stream;
    await video.play();
    $('live').hidden = false;
    $('webcam').dataset.i18n = 'controls.webcamStop';
    $('webcam').textContent = t('controls.webcamStop');
    let running = true;
    live = {
      stop() {
        running = false;
        stream.getTracks().forEach((track) => track.stop());
        $('live').hidden = true;
        $('webcam').dataset.i18n = 'controls.webcam';
        $('webcam').textContent = t('controls.webcam');
        live = null;
      },
    };
    const canvas = $('live-canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    // Live mode: the full cascade on keyframes, tracking in between; scores and emotion smoothed.
    // A FacepackWorker keeps the tracker in its worker (liveStep).
    const tracker = fp.liveStep ? null : new LiveTracker(fp);
    if (!tracker) await fp.liveReset();
    const step = tracker ? (frame) => tracker.step(frame) : (frame) => fp.liveStep(frame);
    const stepTimings = () => (tracker ? tracker.timings : fp.liveTimings);
    const recent = []; // frame end times over the last second, for frames per second
    while (running) {
      ctx.drawImage(video, 0, 0);
      const frame = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const result = await step(frame);
      ctx.putImageData(frame, 0, 0);
      drawFaces(
        ctx,
        result.faces.map((f) => ({ ...f, score: f.shown.score === null ? null : { expected: f.shown.score } })),
        1,
      );
      const now = performance.now();
      recent.push(now);
      while (recent[0] < now - 1000) recent.shift();
      const emotions = result.faces.map((f) => (f.shown.emotion === null ? '?' : emotionName(f.shown.emotion))).join(', ');
      $('live-info').textContent = t('live.info', {
        faces: facesText(result.faces.length),
        fps: num(recent.length),
        ms: num(stepTimings().total, 0),
        backend: fp.backend,
        emotions: emotions || '–',
      });
      await new Promise(requestAnimationFrame);
    }
  };
}
