// Node only: a photo file as RGB bytes, by the same image policy as the browser and Python
// (facepack/images.py): the pixel limit checked from the header before decoding, EXIF
// orientation applied, colour profiles ignored, grey / palette to RGB, 16-bit samples to their
// high byte, transparency composited over white with Pillow's arithmetic.
//
// Decoders: JPEG by libjpeg-turbo (mozjpeg) and WebP by libwebp, both WebAssembly builds from
// @jsquash, and PNG by pngjs; for JPEG and WebP these are the libraries Pillow and Chromium use,
// so the bytes are the same. Node reads JPEG, PNG and WebP only; a CMYK JPEG is refused
// (libjpeg does not convert CMYK, and Pillow's conversion is not rebuilt here).
import fs from 'node:fs/promises';

import { PNG } from 'pngjs';

import { ImageError, checkPixelLimit } from '../image.js';

const DEFAULT_POLICY = { max_pixels: 100_000_000 };

// ------------------------------------------------------------------------------ format headers
function formatOf(bytes) {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && String.fromCharCode(...bytes.subarray(1, 4)) === 'PNG') return 'png';
  if (
    bytes.length >= 12 &&
    String.fromCharCode(...bytes.subarray(0, 4)) === 'RIFF' &&
    String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP'
  )
    return 'webp';
  return null;
}

const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u32be = (b, i) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
const u16le = (b, i) => b[i] | (b[i + 1] << 8);
const u24le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32le = (b, i) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

/** JPEG segments before the image data: [{marker, start, length}] (start: after the length field). */
function jpegSegments(b) {
  const segments = [];
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1];
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const length = u16be(b, i + 2);
    segments.push({ marker, start: i + 4, length: length - 2 });
    if (marker === 0xda) break; // start of scan: image data follows
    i += 2 + length;
  }
  return segments;
}

/** {width, height, extra} from the file's header, without decoding it. */
function header(format, b) {
  if (format === 'png') {
    if (b.length < 33) return null;
    return { width: u32be(b, 16), height: u32be(b, 20) };
  }
  if (format === 'jpeg') {
    const sof = jpegSegments(b).find((s) => s.marker >= 0xc0 && s.marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(s.marker));
    if (!sof || sof.start + 6 > b.length) return null;
    return { width: u16be(b, sof.start + 3), height: u16be(b, sof.start + 1), components: b[sof.start + 5] };
  }
  for (const chunk of riffChunks(b)) {
    // webp
    const at = chunk.start;
    if (chunk.kind === 'VP8X' && at + 10 <= b.length) return { width: u24le(b, at + 4) + 1, height: u24le(b, at + 7) + 1 };
    if (chunk.kind === 'VP8 ' && at + 10 <= b.length) return { width: u16le(b, at + 6) & 0x3fff, height: u16le(b, at + 8) & 0x3fff };
    if (chunk.kind === 'VP8L' && at + 5 <= b.length) {
      const bits = u32le(b, at + 1);
      return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
    }
  }
  return null;
}

function* riffChunks(b) {
  let i = 12;
  while (i + 8 <= b.length) {
    const kind = String.fromCharCode(...b.subarray(i, i + 4));
    const length = u32le(b, i + 4);
    yield { kind, start: i + 8, length };
    i += 8 + length + (length % 2);
  }
}

// --------------------------------------------------------------------------------- orientation
/** The EXIF orientation (1-8) of a JPEG (APP1), PNG (eXIf) or WebP (EXIF chunk); 1 when absent. */
export function exifOrientation(format, b) {
  let tiff = null;
  if (format === 'jpeg') {
    const app1 = jpegSegments(b).find((s) => s.marker === 0xe1 && String.fromCharCode(...b.subarray(s.start, s.start + 6)) === 'Exif\0\0');
    if (app1) tiff = b.subarray(app1.start + 6, app1.start + app1.length);
  } else if (format === 'png') {
    for (let i = 8; i + 8 <= b.length;) {
      const length = u32be(b, i);
      const kind = String.fromCharCode(...b.subarray(i + 4, i + 8));
      if (kind === 'eXIf') tiff = b.subarray(i + 8, i + 8 + length);
      if (kind === 'IDAT' || kind === 'IEND') break;
      i += 12 + length;
    }
  } else {
    const chunk = [...riffChunks(b)].find((c) => c.kind === 'EXIF');
    if (chunk) {
      tiff = b.subarray(chunk.start, chunk.start + chunk.length);
      if (String.fromCharCode(...tiff.subarray(0, 6)) === 'Exif\0\0') tiff = tiff.subarray(6);
    }
  }
  if (!tiff || tiff.length < 8) return 1;
  const little = tiff[0] === 0x49; // 'II' little-endian, 'MM' big-endian
  const u16 = (i) => (little ? u16le(tiff, i) : u16be(tiff, i));
  const u32 = (i) => (little ? u32le(tiff, i) : u32be(tiff, i));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return 1;
  for (let k = 0, n = u16(ifd); k < n; k += 1) {
    const entry = ifd + 2 + 12 * k;
    if (entry + 12 > tiff.length) break;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/** Turn RGB pixels upright for an EXIF orientation (as Pillow's ImageOps.exif_transpose). */
export function applyOrientation({ rgb, width, height }, orientation) {
  if (orientation === 1) return { rgb, width, height };
  const swap = orientation >= 5;
  const [w, h] = swap ? [height, width] : [width, height];
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < h; y += 1) {
    for (let x = 0; x < w; x += 1) {
      // the stored pixel (sx, sy) that shows at upright (x, y)
      let sx;
      let sy;
      switch (orientation) {
        case 2:
          [sx, sy] = [width - 1 - x, y];
          break;
        case 3:
          [sx, sy] = [width - 1 - x, height - 1 - y];
          break;
        case 4:
          [sx, sy] = [x, height - 1 - y];
          break;
        case 5:
          [sx, sy] = [y, x];
          break;
        case 6:
          [sx, sy] = [y, height - 1 - x];
          break;
        case 7:
          [sx, sy] = [width - 1 - y, height - 1 - x];
          break;
        default:
          [sx, sy] = [width - 1 - y, x];
          break; // 8
      }
      const from = (sy * width + sx) * 3;
      const to = (y * w + x) * 3;
      out[to] = rgb[from];
      out[to + 1] = rgb[from + 1];
      out[to + 2] = rgb[from + 2];
    }
  }
  return { rgb: out, width: w, height: h };
}

// ------------------------------------------------------------------------------------ decoders
/** RGBA (8 or 16 bits a sample) to RGB over white, as Pillow's alpha_composite onto white does it. */
export function overWhite(rgba, width, height, sixteenBit = false) {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    const a = sixteenBit ? rgba[i + 3] >> 8 : rgba[i + 3];
    for (let c = 0; c < 3; c += 1) {
      const v = sixteenBit ? rgba[i + c] >> 8 : rgba[i + c];
      if (a === 255) {
        rgb[j + c] = v;
      } else {
        // Pillow AlphaComposite.c with an opaque white destination, 7 bits of precision.
        const coef1 = Math.floor((a * 255 * 255 * 128) / (a * 255 + 255 * (255 - a)));
        const coef2 = 255 * 128 - coef1;
        const t = v * coef1 + 255 * coef2 + (0x80 << 7);
        rgb[j + c] = (((t >> 8) + t) >> 8) >> 7;
      }
    }
  }
  return rgb;
}

let codecs = null;
const warnings = []; // what the WebAssembly decoders print to stderr, read after each decode

async function wasmCodecs() {
  if (!codecs) {
    // @jsquash's emscripten glue returns an ImageData; Node has none, so a minimal one is
    // provided for it (only when the global is missing: a browser-like environment keeps its own).
    if (typeof globalThis.ImageData === 'undefined') {
      globalThis.ImageData = class ImageData {
        constructor(data, width, height) {
          Object.assign(this, { data, width, height });
        }
      };
    }
    const [jpeg, webp] = await Promise.all([import('@jsquash/jpeg/decode.js'), import('@jsquash/webp/decode.js')]);
    const module = async (spec) => WebAssembly.compile(await fs.readFile(new URL(import.meta.resolve(spec))));
    const options = { print: () => {}, printErr: (text) => warnings.push(text) };
    await jpeg.init(await module('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'), options);
    await webp.init(await module('@jsquash/webp/codec/dec/webp_dec.wasm'), options);
    codecs = { jpeg: jpeg.default, webp: webp.default };
  }
  return codecs;
}

async function decodeWith(format, bytes, name) {
  if (format === 'png') {
    let png;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
    } catch (err) {
      throw new ImageError(`${name} is not a readable image: ${err.message}`, 'image_unreadable', { name, detail: err.message });
    }
    return { rgb: overWhite(png.data, png.width, png.height, png.depth === 16), width: png.width, height: png.height };
  }
  const decode = (await wasmCodecs())[format];
  warnings.length = 0;
  let image;
  try {
    image = await decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } catch {
    const detail = warnings.join('; ') || `the ${format} decoder refused it`;
    throw new ImageError(`${name} is not a readable image: ${detail}`, 'image_unreadable', { name, detail });
  }
  // libjpeg warns and fills the rest grey where Pillow refuses the file: refuse it too.
  const warning = warnings.find((w) => /premature end|corrupt|truncated/i.test(w));
  if (warning)
    throw new ImageError(`${name} is not a readable image: ${warning.trim()}`, 'image_unreadable', { name, detail: warning.trim() });
  return { rgb: overWhite(image.data, image.width, image.height), width: image.width, height: image.height };
}

/**
 * RGB pixels of a photo file's bytes, upright: {data: Uint8Array of H * W * 3, width, height},
 * which Facepack.analyze takes as it is.
 * @param {Uint8Array} bytes the file
 * @param {string} name for messages
 * @param {{max_pixels: number}} policy the manifest's `images` entry
 * @throws {ImageError} not a JPEG, PNG or WebP, truncated, CMYK, or over the pixel limit
 */
export async function decodePhoto(bytes, name = 'image', policy = DEFAULT_POLICY) {
  const unreadable = (detail) => new ImageError(`${name} is not a readable image: ${detail}`, 'image_unreadable', { name, detail });
  if (bytes.length === 0) throw unreadable('the file is empty');
  const format = formatOf(bytes);
  if (!format) throw unreadable('not a JPEG, PNG or WebP file (what Node reads)');
  const size = header(format, bytes);
  if (!size) throw unreadable(`its ${format} header is incomplete`);
  checkPixelLimit(size.width, size.height, policy, name);
  if (size.components === 4) {
    throw new ImageError(`${name} is a CMYK JPEG, which Node does not read (convert it to RGB)`, 'image_unreadable', {
      name,
      detail: 'CMYK JPEG',
    });
  }
  const { rgb, width, height } = applyOrientation(await decodeWith(format, bytes, name), exifOrientation(format, bytes));
  return { data: rgb, width, height };
}

/** `decodePhoto` of a file. */
export async function readPhoto(file, policy = DEFAULT_POLICY) {
  let bytes;
  try {
    bytes = new Uint8Array(await fs.readFile(file));
  } catch (err) {
    const detail = err.code === 'ENOENT' ? 'no such file' : err.message;
    throw new ImageError(`${file} cannot be read: ${detail}`, 'image_unreadable', { name: String(file), detail });
  }
  return decodePhoto(bytes, String(file), policy);
}
