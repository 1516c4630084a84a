// facepack: face detection (MTCNN), landmarks, a beauty score and emotion with TF.js, from a
// checked facepack bundle. This entry works in any browser page (and under Node, where the
// `facepack` package resolves to src/node/index.js, which adds reading folders and photo files).
//
//   import { Facepack } from 'facepack';
//   const fp = await Facepack.load('/bundle/', { backend: 'auto', wasmPaths: '/vendor/' });
//   const faces = await fp.analyze(document.querySelector('img'));
export { BACKENDS, CHOICES, autoBackend, startBackend } from './backend.js';
export { BundleError, SCHEMA, SUPPORTED_VERSION, checkManifest, fetchVerified, graphArtifacts, loadManifest, urlSource } from './bundle.js';
export { cropPixels, cropSquare } from './crop.js';
export { Facepack, detectionSize } from './facepack.js';
export { FacepackWorker } from './facepack_worker.js';
export { ImageError, decodeImage, rgbPixels } from './image.js';
export { LiveTracker, atEdge, grownSquare } from './live.js';
export { csvRows, errorRecord, fixed, photoRecord, resultsCsv, summary } from './results.js';
export { expectedPoints, percentileAmong, quantileClass, scoreSummary } from './score.js';
export { runSelfTest } from './selftest.js';
export { SettingsError, checkSettings } from './settings.js';
export { errorData, serveFacepack } from './worker.js';
