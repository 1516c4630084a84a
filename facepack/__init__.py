"""facepack core: the facts and model builders shared by `converter`, `training` and `web`.

- `facepack.spec`: every constant the browser must agree on (carried in manifest.json).
- `facepack.assets`: where the pretrained weights and sample photos live on disk.
- `facepack.models`: the models the bundle holds (MTCNN nets, scorer, emotion), one module each,
  loaded from their pretrained sources and checked; the scorer's backbones rebuilt in Keras.
- `facepack.crop`, `facepack.detect`, `facepack.images`, `facepack.pipeline`: the Python reference
  of what the browser does (crop rule, MTCNN, photo reading, the whole analysis).
"""

__version__ = "0.1.0"
