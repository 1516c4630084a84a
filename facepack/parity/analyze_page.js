// python -m facepack parity (facepack/parity/run.py): one photo file, decoded as the page decodes a
// chosen file, and analysed by the page's Facepack (window.facepack, on the page's thread):
// {b64, name} -> {faces, width, height}.
export default async function analyzePhoto({ b64, name }) {
  const { decodeImage } = await import('facepack');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const bitmap = await decodeImage(new Blob([bytes]), name);
  try {
    return { faces: await window.facepack.analyze(bitmap), width: bitmap.width, height: bitmap.height };
  } finally {
    bitmap.close();
  }
}
