// Stage 1a of the MTCNN cascade: the image pyramid, as the `mtcnn` package builds it
// (mtcnn.utils.images.build_scale_pyramid and scale_images).
// TF.js has no AREA resize (tf.image.resize(method='area') in Python), so it is rebuilt here
// from TensorFlow's kernel (core/kernels/image/resize_area_op.cc): every output pixel is the
// area-weighted mean of the input pixels its footprint covers. The weights are separable, so
// the resize is a weighted sum along y, then along x.
// Python's round(): halves go to the even neighbour.
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Pyramid scales for a width x height photo, largest first (detector settings from the manifest). */
export function pyramidScales(width, height, detector) {
  const minDim = Math.min(width, height);
  const count = roundHalfEven(-(Math.log(minDim / detector.min_size) / Math.log(detector.scale_factor) + 1));
  const first = detector.min_size / detector.min_face_size;
  return Array.from({ length: Math.max(count, 0) }, (_, k) => first * detector.scale_factor ** k);
}

/** Output size of one pyramid level: the package truncates shape * scale. */
export function scaledSize(height, width, scale) {
  return [Math.trunc(height * scale), Math.trunc(width * scale)];
}

// For one axis: each output cell's input taps (index, weight), as TF computes them in float32.
// Padded to K taps per output cell (weight 0) so the gather is one rectangular tensor.
function areaTaps(inSize, outSize) {
  const f = Math.fround;
  const step = f(inSize / outSize); // TF: height_scale = float(in) / out
  const cells = [];
  let taps = 1;
  for (let o = 0; o < outSize; o += 1) {
    const a = f(o * step);
    const b = f((o + 1) * step);
    const cell = [];
    for (let i = Math.floor(a); i < Math.ceil(b); i += 1) {
      let w;
      if (i < a) w = i + 1 > b ? step : f(i + 1 - a);
      else w = i + 1 > b ? f(b - i) : 1;
      cell.push([Math.min(inSize - 1, Math.max(0, i)), w]);
    }
    cells.push(cell);
    taps = Math.max(taps, cell.length);
  }
  const index = new Int32Array(outSize * taps);
  const weight = new Float32Array(outSize * taps);
  cells.forEach((cell, o) => cell.forEach(([i, w], k) => { index[o * taps + k] = i; weight[o * taps + k] = w; }));
  return { index, weight, taps, step };
}

/**
 * AREA resize of an interleaved (inH, inW, C) Float32Array to (outH, outW, C):
 * tf.image.resize(method='area'). Plain JavaScript: as TF.js ops (gather, multiply, sum) it
 * took 6 s for the 13 levels of a 1920x1280 photo on WASM; this loop takes a fraction of that.
 * Matches TF to float32 rounding (the sums run in float64, in a different order).
 */
export function resizeArea(src, inH, inW, channels, outH, outW) {
  const ys = areaTaps(inH, outH);
  const xs = areaTaps(inW, outW);
  const scale = Math.fround(1 / Math.fround(ys.step * xs.step));
  const rowLen = inW * channels;
  const rows = new Float64Array(outH * rowLen); // y pass: (outH, inW, C)
  for (let o = 0; o < outH; o += 1) {
    const acc = rows.subarray(o * rowLen, (o + 1) * rowLen);
    for (let k = 0; k < ys.taps; k += 1) {
      const w = ys.weight[o * ys.taps + k];
      if (w === 0) continue;
      const from = ys.index[o * ys.taps + k] * rowLen;
      for (let j = 0; j < rowLen; j += 1) acc[j] += w * src[from + j];
    }
  }
  const out = new Float32Array(outH * outW * channels); // x pass
  for (let o = 0; o < outH; o += 1) {
    const row = o * rowLen;
    for (let x = 0; x < outW; x += 1) {
      const at = (o * outW + x) * channels;
      for (let k = 0; k < xs.taps; k += 1) {
        const w = xs.weight[x * xs.taps + k];
        if (w === 0) continue;
        const from = row + xs.index[x * xs.taps + k] * channels;
        for (let c = 0; c < channels; c += 1) out[at + c] += w * rows[from + c];
      }
      for (let c = 0; c < channels; c += 1) out[at + c] *= scale;
    }
  }
  return out;
}
