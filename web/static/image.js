// Reading a photo into RGB pixels, by the policy Python's facepack/images.py applies:
// EXIF orientation applied, embedded colour profiles ignored (pixels as stored), RGB uint8.

export class ImageError extends Error {}

/** Decode an image file (File or Blob) to an ImageBitmap, upright and without colour conversion. */
export async function decodeImage(blob, name = 'image') {
  try {
    return await createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (err) {
    throw new ImageError(`${name} is not a readable image (${err && err.message ? err.message : err})`);
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
  if (source instanceof ImageData) return source;
  const [width, height] = sourceSize(source);
  if (!width || !height) throw new ImageError('the image has no pixels (not loaded yet?)');
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  // Transparent pixels are composited over white (Python: facepack.images does the same).
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(source, 0, 0);
  return ctx.getImageData(0, 0, width, height);
}

/**
 * RGB bytes of `source`: {rgb: Uint8Array (H * W * 3), width, height}. Takes any drawable,
 * ImageData, or {data, width, height} with RGB or RGBA bytes. `policy` is the manifest's
 * `images` entry: a photo over policy.max_pixels is refused.
 */
export function rgbPixels(source, policy = { max_pixels: Infinity }) {
  const [w, h] = source instanceof ImageData || (source && source.data) ? [source.width, source.height] : sourceSize(source);
  if (w * h > policy.max_pixels) {
    throw new ImageError(`the photo is ${w}x${h} = ${Math.round((w * h) / 1e6)} megapixels; the limit is ${Math.round(policy.max_pixels / 1e6)}`);
  }
  const image = source && !(source instanceof ImageData) && source.data && source.width && source.height ? source : toImageData(source);
  const { width, height, data } = image;
  const channels = data.length / (width * height);
  if (channels !== 3 && channels !== 4) throw new ImageError(`pixel data must be RGB or RGBA, got ${channels} channels`);
  if (channels === 3) return { rgb: Uint8Array.from(data), width, height };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 4, j += 3) {
    rgb[j] = data[i];
    rgb[j + 1] = data[i + 1];
    rgb[j + 2] = data[i + 2];
  }
  return { rgb, width, height };
}
