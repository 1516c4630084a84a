"""facepack core: the facts and model builders shared by `converter`, `training` and `web`.

- `facepack.spec`: every constant the browser must agree on (carried in manifest.json).
- `facepack.assets`: where the pretrained weights and sample photos live on disk.
- `facepack.faceres`: the face-recognition ResNet rebuilt in Keras from face-api.js weights.
- `facepack.models`: the models the bundle holds (MTCNN nets, scorer, emotion), loaded and checked.
"""

__version__ = "0.1.0"
