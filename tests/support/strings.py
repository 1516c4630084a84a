"""Words that stay as they are in the Chinese page: names of things, file formats and units."""

from __future__ import annotations

import re

# In the string tables (web/static/lang-zh-CN.json).
NAMES = frozenset({
    "facepack", "TF.js", "WebGL", "WASM", "SIMD", "PNet", "RNet", "ONet", "MTCNN", "SCUT-FBP5500", "FER2013", "JSON",
    "CSV", "PNG", "JPEG", "HTTP", "RGB", "RGBA", "Keras", "softmax", "sha256", "face-api.js", "ResNet-29", "npm",
    "Human", "FaceRes", "MobileNet", "VGGFace2", "float16", "uint8", "v2", "GPU", "WebGPU"})

# On the page besides the tables' names: data it shows (backends, a file name, the GPU's renderer
# string, package names in the model card).
PAGE_DATA = frozenset({
    "webgpu", "wasm", "webgl", "cpu", "auto", "English", "PyPI", "fer", "mtcnn", "sample1.jpg", "swiftshader",
    "SwiftShader", "Google", "Vulkan", "Subzero", "Device", "LLVM", "ANGLE", "Inc", "vladmandic", "face-api",
    "human-models"})

# A run of Latin letters (with digits, dots and hyphens): what counts as a word to check.
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9.\-]*")
