// {b64, name} -> {width, height, rgb: base64} as the page decodes the file, or {error}.
export default async function readImage({ b64, name }) {
  const { decodeImage, rgbPixels } = await import('facepack');
  try {
    const bitmap = await decodeImage(new Blob([fromBase64(b64)]), name);
    const px = rgbPixels(bitmap, window.facepack.manifest.images);
    let s = '';
    const CHUNK = 0x8000;
    for (let i = 0; i < px.rgb.length; i += CHUNK) {
      s += String.fromCharCode.apply(null, px.rgb.subarray(i, i + CHUNK));
    }
    return { width: px.width, height: px.height, rgb: btoa(s) };
  } catch (err) {
    return { error: `${err.name}: ${err.message}` };
  }
}
