// The canvas drawings of photos and live frames: boxes, landmarks and labels, and the crop the scorer saw.
import { el } from './dom.js';

/**
 * Boxes, landmarks and "n · score" labels over the photo (language-free, so a saved PNG is too).
 * A face the gate left unscored (score null: it may not be a face) is drawn apart: a dashed grey
 * box labelled "n · ?".
 */
export function drawFaces(ctx, faces, scale) {
  const line = Math.max(2, Math.round(Math.max(ctx.canvas.width, ctx.canvas.height) / 400));
  ctx.lineWidth = line;
  ctx.font = `${8 * line}px system-ui, sans-serif`;
  faces.forEach((f, i) => {
    const [x1, y1, x2, y2] = f.box.map((v) => v * scale);
    const unscored = f.score === null;
    ctx.strokeStyle = unscored ? '#b0b0b0' : '#19e07a';
    ctx.setLineDash(unscored ? [3 * line, 2 * line] : []);
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    ctx.setLineDash([]);
    ctx.fillStyle = '#ff3b6b';
    for (const [x, y] of f.landmarks) {
      ctx.beginPath();
      ctx.arc(x * scale, y * scale, 1.5 * line, 0, 2 * Math.PI);
      ctx.fill();
    }
    const label = unscored ? `${i + 1} · ?` : `${i + 1} · ${Math.round(f.score.expected)}`;
    const w = ctx.measureText(label).width + 2 * line;
    ctx.fillStyle = 'rgba(0, 0, 0, 0.65)';
    ctx.fillRect(x1, Math.max(0, y1 - 10 * line), w, 10 * line);
    ctx.fillStyle = '#fff';
    ctx.fillText(label, x1 + line, Math.max(0, y1 - 10 * line) + 8 * line);
  });
}

/** The crop the scorer saw (`rgb`: a size x size RGB square, from the package's crop rule), as a canvas. */
export function cropCanvas(rgb, size) {
  const image = new ImageData(size, size);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    image.data[j] = rgb[i];
    image.data[j + 1] = rgb[i + 1];
    image.data[j + 2] = rgb[i + 2];
    image.data[j + 3] = 255;
  }
  const canvas = el('canvas', { width: size, height: size, className: 'crop' });
  canvas.getContext('2d').putImageData(image, 0, 0);
  return canvas;
}
