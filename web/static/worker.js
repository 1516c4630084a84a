// The page's facepack worker (the default; ?worker=0 goes without it): the analysis runs here, off the page's thread. Served
// from /worker/static/worker.js, where the app resolves the bare imports (module workers do not
// read the page's import map). The webgpu backend is imported here because a worker cannot
// import it later by its bare name.
import '@tensorflow/tfjs-backend-webgpu';
import { serveFacepack } from 'facepack';

serveFacepack(self);
