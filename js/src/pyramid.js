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
  cells.forEach((cell, o) =>
    cell.forEach(([i, w], k) => {
      index[o * taps + k] = i;
      weight[o * taps + k] = w;
    }),
  );
  return { index, weight, taps, step };
}

/**
 * AREA resize of an interleaved (inH, inW, C) typed array (Uint8Array or Float32Array) to a
 * (outH, outW, C) Float32Array: tf.image.resize(method='area'). Plain JavaScript, one output
 * row at a time (memory: one input row). As TF.js ops (gather, multiply, sum) the 13 levels of a
 * 1920x1280 photo took 6.5 s on WASM. Matches TF to float32 rounding (sums in another order).
 */
export function resizeArea(src, inH, inW, channels, outH, outW) {
  const ys = areaTaps(inH, outH);
  const xs = areaTaps(inW, outW);
  const scale = Math.fround(1 / Math.fround(ys.step * xs.step));
  const rowLen = inW * channels;
  const acc = new Float64Array(rowLen); // one output row after the y pass: (inW, C)
  const out = new Float32Array(outH * outW * channels);
  // The x pass reads taps as offsets into `acc` (index * channels); a tap of weight 0 reads
  // offset 0 with weight 0, so the loops need no test.
  const xOffset = Int32Array.from(xs.index, (i) => i * channels);
  const xTaps = xs.taps;
  for (let o = 0; o < outH; o += 1) {
    // y pass, two input rows at a time (one write of `acc` per pair)
    const first = o * ys.taps;
    for (let k = 0; k < ys.taps; k += 2) {
      const w0 = ys.weight[first + k];
      const a = ys.index[first + k] * rowLen;
      if (k + 1 === ys.taps) {
        // an odd last tap: one input row
        if (k === 0) for (let j = 0; j < rowLen; j += 1) acc[j] = w0 * src[a + j];
        else if (w0 !== 0) for (let j = 0; j < rowLen; j += 1) acc[j] += w0 * src[a + j];
        continue;
      }
      const w1 = ys.weight[first + k + 1];
      const b = ys.index[first + k + 1] * rowLen;
      if (k === 0) for (let j = 0; j < rowLen; j += 1) acc[j] = w0 * src[a + j] + w1 * src[b + j];
      else if (w0 !== 0 || w1 !== 0) for (let j = 0; j < rowLen; j += 1) acc[j] += w0 * src[a + j] + w1 * src[b + j];
    }
    const row = o * outW * channels;
    if (channels === 3) {
      for (let x = 0; x < outW; x += 1) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let k = x * xTaps, end = k + xTaps; k < end; k += 1) {
          const w = xs.weight[k];
          const at = xOffset[k];
          r += w * acc[at];
          g += w * acc[at + 1];
          b += w * acc[at + 2];
        }
        const to = row + 3 * x;
        out[to] = r * scale;
        out[to + 1] = g * scale;
        out[to + 2] = b * scale;
      }
    } else {
      for (let x = 0; x < outW; x += 1) {
        for (let c = 0; c < channels; c += 1) {
          let sum = 0;
          for (let k = x * xTaps, end = k + xTaps; k < end; k += 1) sum += xs.weight[k] * acc[xOffset[k] + c];
          out[row + channels * x + c] = sum * scale;
        }
      }
    }
  }
  return out;
}
