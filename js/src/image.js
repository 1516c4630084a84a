// A photo as RGB bytes, by the manifest's image policy (facepack.spec.ImagePolicy), the rule
// Python's facepack/images.py applies: EXIF orientation applied, embedded colour profiles
// ignored (pixels as stored), grey/palette/CMYK to RGB, 16-bit to its high byte, transparency
// over white, photos over images.max_pixels refused. In the browser the decoding is the
// browser's own (`decodeImage`); in Node it is js/src/node/photo.js.

/**
 * A photo that cannot be used. `code` says why, for a page that words it in its own language:
 * 'image_unreadable' {name, detail}, 'image_too_large' {name, width, height, megapixels, limit},
 * 'image_empty' {}, 'image_channels' {channels}.
 */
export class ImageError extends Error {
  constructor(message, code = 'image_unreadable', params = {}) {
    super(message);
    this.name = 'ImageError';
    this.code = code;
    this.params = params;
  }
}

/** Decode an image file (File or Blob) to an ImageBitmap, upright and without colour conversion. */
export async function decodeImage(blob, name = 'image') {
  try {
    return await createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (err) {
    const detail = err && err.message ? err.message : String(err);
    throw new ImageError(`${name} is not a readable image (${detail})`, 'image_unreadable', { name, detail });
  }
}

function sourceSize(source) {
  if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) return [source.videoWidth, source.videoHeight];
  if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement) return [source.naturalWidth, source.naturalHeight];
  return [source.width, source.height];
}

/**
 * The RGBA pixels of any drawable (img, canvas, video frame, ImageBitmap) or ImageData.
 * Drawing through a 2D canvas gives every backend the same 8-bit values (WebGL's own upload
 * path may convert colours).
 */
export function toImageData(source) {
  if (typeof ImageData !== 'undefined' && source instanceof ImageData) return source;
  const [width, height] = sourceSize(source);
  if (!width || !height) throw new ImageError('the image has no pixels (not loaded yet?)', 'image_empty');
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  // Transparent pixels are composited over white (Python: facepack.images does the same).
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(source, 0, 0);
  return ctx.getImageData(0, 0, width, height);
}

/** Refuse a photo over the policy's pixel limit (the same message as Python's). */
export function checkPixelLimit(width, height, policy, name = 'the photo') {
  if (width * height > policy.max_pixels) {
    const megapixels = Math.round((width * height) / 1e6);
    const limit = Math.round(policy.max_pixels / 1e6);
    throw new ImageError(`${name} is ${width}x${height} = ${megapixels} megapixels; the limit is ${limit}`, 'image_too_large', {
      name,
      width,
      height,
      megapixels,
      limit,
    });
  }
}

/**
 * RGB bytes of `source`: {rgb: Uint8Array (H * W * 3), width, height}. Takes any drawable,
 * ImageData, {data, width, height} with RGB or RGBA bytes (RGBA taken as already over white),
 * or its own result (returned as it is).
 * `policy` is the manifest's `images` entry: a photo over policy.max_pixels is refused.
 */
export function rgbPixels(source, policy = { max_pixels: Infinity }) {
  if (source && source.rgb instanceof Uint8Array && source.width && source.height) {
    checkPixelLimit(source.width, source.height, policy);
    return source; // already what this returns
  }
  const isData = source && source.data && source.width && source.height;
  const [w, h] = isData ? [source.width, source.height] : sourceSize(source);
  checkPixelLimit(w, h, policy);
  const image = isData ? source : toImageData(source);
  const { width, height, data } = image;
  const channels = data.length / (width * height);
  if (channels !== 3 && channels !== 4) {
    throw new ImageError(`pixel data must be RGB or RGBA, got ${channels} channels`, 'image_channels', { channels });
  }
  if (channels === 3) return { rgb: Uint8Array.from(data), width, height };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 4, j += 3) {
    rgb[j] = data[i];
    rgb[j + 1] = data[i + 1];
    rgb[j + 2] = data[i + 2];
  }
  return { rgb, width, height };
}
