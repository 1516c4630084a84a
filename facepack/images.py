"""Reading a photo into RGB pixels, the way the browser page reads it.

The policy (the JS package applies the same one: js/src/image.js in the browser, js/src/node/photo.js in Node):
- EXIF orientation is applied (browsers show phone photos upright; so do we);
- embedded colour profiles are ignored: pixels are taken as stored (the page decodes with
  `colorSpaceConversion: 'none'`);
- grey, palette and CMYK images become RGB uint8 (H, W, 3), as Pillow converts them (Chromium
  gives the same bytes); 16-bit samples keep their high byte (v >> 8), as Chromium does
  (Pillow's own conversion would clip them at 255);
- transparent pixels are composited over white (the page draws onto a white canvas);
- photos over spec.IMAGES.max_pixels are refused before they are decoded.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from facepack.spec import IMAGES


class ImageError(ValueError):
    """A file that cannot be read as a photo; the message names it and says why."""


def load_image(source: Path | str | bytes, name: str | None = None) -> np.ndarray:
    """RGB uint8 (H, W, 3) of an image file or its bytes, EXIF orientation applied.

    Raises:
        ImageError: the data is not a readable image (truncated, not an image at all).
    """
    label = name or (str(source) if not isinstance(source, bytes) else "image")
    limit = f"the limit is {IMAGES.max_pixels / 1e6:.0f}"
    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 MP and refuses from 179 MP; our own limit is checked below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
        with im:
            if im.width * im.height > IMAGES.max_pixels:
                raise ImageError(f"{label} is {im.width}x{im.height} = {im.width * im.height / 1e6:.0f} megapixels; "
                                 f"{limit}")
            return _to_rgb(ImageOps.exif_transpose(im))
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{label} is not a readable image: not an image format this reads (or empty)") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{label} has more than {2 * Image.MAX_IMAGE_PIXELS / 1e6:.0f} megapixels; {limit}") from None
    except (OSError, ValueError) as err:
        raise ImageError(f"{label} is not a readable image: {err}") from None


SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")


def _to_rgb(im: Image.Image) -> np.ndarray:
    if im.mode in SIXTEEN_BIT:
        grey = (np.asarray(im).astype(np.uint32) >> 8).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.asarray(im.convert("RGB"))
