"""facepack core: the facts and model builders shared by `converter`, `training` and `web`.

- `facepack.spec`: every constant the browser must agree on (carried in manifest.json).
- `facepack.assets`: where the pretrained weights and sample photos live on disk.
- `facepack.models`: the models the bundle holds (MTCNN nets, scorer, emotion), one module each,
  loaded from their pretrained sources and checked; the scorer's backbones rebuilt in Keras.
- `facepack.crop`, `facepack.detect`, `facepack.images`, `facepack.pipeline`: the Python reference
  of what the browser does (crop rule, MTCNN, photo reading, the whole analysis).
"""

from importlib.metadata import version as _installed_version
from pathlib import Path as _Path

# The one version number of the project is VERSION, beside pyproject.toml (which reads it too);
# tests/test_version.py holds both package.json files to it. An installed wheel has no VERSION.
_VERSION_FILE = _Path(__file__).resolve().parents[1] / "VERSION"
__version__ = _VERSION_FILE.read_text().strip() if _VERSION_FILE.is_file() else _installed_version("facepack")
