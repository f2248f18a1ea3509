"""Web renditions of a fetched picture: JPEG and WebP at a few fixed widths (Pillow).

- The pixel count is read from the header and checked before anything is decoded (a small file
  can claim a huge picture: a decompression bomb). Pillow's own bomb check (far higher) stays on.
- Only JPEG, PNG, GIF and WebP decoders are allowed; the first frame of an animation is used.
- EXIF orientation is applied, so widths and heights are those a reader sees; colours in an
  embedded ICC profile (Adobe RGB press photos) are converted to sRGB; transparency is flattened
  on white; every piece of metadata (EXIF with GPS, comments, ICC) is left out of the renditions.
- Each configured width not wider than the picture gets a rendition (Lanczos), or one rendition at
  the picture's own width if it is narrower than all of them; never an enlargement.
- JPEG (progressive, optimized) and WebP; identical input gives identical bytes.

Anything wrong with the input ends in ``MediaRefused`` ("pixels", "not_image", "corrupt"), never
in another exception: Pillow's decoders raise many kinds on hostile bytes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from newsdesk.media import MediaRefused

# Pillow format -> the original's MIME type (MPO: the multi-picture JPEG some cameras write).
MIMETYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
ORIENTATION_TAG = 0x0112
QUARTER_TURNS = frozenset({5, 6, 7, 8})  # orientations that swap width and height
WHITE = (255, 255, 255)
# The decoders allowed (a JPEG that is an MPO opens through the JPEG one).
DECODERS = ["JPEG", "PNG", "GIF", "WEBP"]
# A progressive JPEG is a series of scans, and libjpeg walks every block of the picture in each one:
# a few bytes a scan make a decoding-time bomb (20 MiB of 31-byte scans: over 600,000 scans, minutes
# of CPU at 36 Mpx). Encoders write about 10 (libjpeg's default script), mozjpeg up to about 70.
MAX_JPEG_SCANS = 100
# A marker: FF and a byte other than 00 (a stuffed FF in entropy-coded data) or FF (a fill byte).
_JPEG_MARKER = re.compile(rb"\xff([\x01-\xfe])")


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int = 40_000_000  # 40 Mpx: above any agency's print file (TT's 4724x3149 is 15 Mpx)
    jpeg_quality: int = 82
    webp_quality: int = 80


@dataclass(frozen=True)
class Original:
    width: int  # as displayed (after EXIF orientation)
    height: int
    mimetype: str


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    mimetype: str  # "image/jpeg" | "image/webp"
    data: bytes
    ext: str  # "jpg" | "webp"


def make_renditions(data: bytes, widths: Sequence[int], limits: ImageLimits) -> tuple[Original, list[Rendition]]:
    """The original's size and type, and its renditions: by ascending width, JPEG then WebP."""
    try:
        return _make(data, widths, limits)
    except MediaRefused:
        raise
    except Image.DecompressionBombError as error:
        raise MediaRefused("pixels", str(error)) from None
    except UnidentifiedImageError:
        raise MediaRefused("not_image", "not a JPEG, PNG, GIF or WebP image") from None
    except Exception as error:  # OSError, SyntaxError, ValueError, EOFError, struct.error, ... from decoders
        raise MediaRefused("corrupt", f"{type(error).__name__}: {error}") from None


def rendition_widths(widths: Sequence[int], width: int) -> list[int]:
    """The configured widths a picture ``width`` wide gets, ascending; at least its own width."""
    return sorted({w for w in widths if 0 < w <= width}) or [width]


def _make(data: bytes, widths: Sequence[int], limits: ImageLimits) -> tuple[Original, list[Rendition]]:
    with Image.open(io.BytesIO(data), formats=DECODERS) as image:
        mimetype = MIMETYPES[str(image.format)]
        raw_width, raw_height = image.size  # from the header: nothing is decoded yet
        if raw_width < 1 or raw_height < 1:
            raise MediaRefused("corrupt", f"size {raw_width}x{raw_height}")
        if raw_width * raw_height > limits.max_pixels:
            raise MediaRefused("pixels", f"{raw_width}x{raw_height} is over {limits.max_pixels} pixels")
        if mimetype == "image/jpeg":
            if (scans := jpeg_scans(data, MAX_JPEG_SCANS)) > MAX_JPEG_SCANS:
                raise MediaRefused("corrupt", f"more than {MAX_JPEG_SCANS} scans ({scans} counted so far)")
            _decode_smaller(image, widths)
        image.load()
        smaller = _reduced(image, widths)
        upright = ImageOps.exif_transpose(smaller)
        turned = upright.size != smaller.size
        original = Original(*((raw_height, raw_width) if turned else (raw_width, raw_height)), mimetype)
        picture = _in_srgb(upright)
    renditions = []
    for width in rendition_widths(widths, original.width):
        height = max(1, round(original.height * width / original.width))
        resized = picture.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        resized.info = {}  # no comment, EXIF or profile may ride along into the files
        renditions.append(Rendition(width, height, "image/jpeg", _jpeg(resized, limits), "jpg"))
        renditions.append(Rendition(width, height, "image/webp", _webp(resized, limits), "webp"))
    return original, renditions


def jpeg_scans(data: bytes, limit: int) -> int:
    """The scans (SOS markers) of a JPEG's first picture, counted up to ``limit + 1``: markers are
    walked as libjpeg reads them (a segment skipped by its length; in entropy-coded data ``FF00`` is
    a byte, and fill bytes ``FF`` before a marker are skipped), up to the end of the picture (EOI)."""
    scans, position = 0, 2
    while scans <= limit and (found := _JPEG_MARKER.search(data, position)) is not None:
        marker, position = found.group(1)[0], found.end()
        if marker == 0xD9:
            break
        if marker != 0x01 and not 0xD0 <= marker <= 0xD7:  # TEM and restarts have no length
            length = int.from_bytes(data[position : position + 2], "big")
            if length < 2:
                break  # libjpeg refuses the picture at this marker
            position += length
            scans += marker == 0xDA
    return scans


def _decode_smaller(image: Image.Image, widths: Sequence[int]) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the largest rendition allows it: a 15 Mpx
    print file decodes several times faster, and Lanczos still works from at least that width."""
    raw_width, raw_height = image.size
    turned = image.getexif().get(ORIENTATION_TAG) in QUARTER_TURNS  # JPEG's EXIF precedes the pixels
    shown_width = raw_height if turned else raw_width
    scale = max(rendition_widths(widths, shown_width)) / shown_width
    image.draft(image.mode, (math.ceil(raw_width * scale), math.ceil(raw_height * scale)))


def _reduced(image: Image.Image, widths: Sequence[int]) -> Image.Image:
    """Shrink a large decoded picture by a whole factor (box filter) to no less than three times the
    largest rendition, before anything copies it at full size: a 40 Mpx PNG would otherwise be
    copied several times over (turned, flattened, converted). Lanczos does the rest."""
    if image.mode not in ("RGB", "RGBA", "L", "LA") or "transparency" in image.info:
        return image
    turned = image.getexif().get(ORIENTATION_TAG) in QUARTER_TURNS
    shown_width = image.height if turned else image.width
    factor = shown_width // (3 * max(rendition_widths(widths, shown_width)))
    return image.reduce(factor) if factor > 1 else image


def _in_srgb(image: Image.Image) -> Image.Image:
    """RGB in sRGB, transparency flattened on white. A broken or unusable ICC profile is ignored."""
    profile = image.info.get("icc_profile")
    if image.mode == "CMYK" and profile:
        converted = _profile_to_srgb(image, profile)
        if converted is not None:
            return converted
    flat = _flattened(image)
    if profile and flat.mode == "RGB":
        return _profile_to_srgb(flat, profile) or flat
    return flat


def _flattened(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grey: scale to 8 bits first (a direct conversion clips everything above 255).
        image = image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    return image.convert("RGB")


def _profile_to_srgb(image: Image.Image, profile: bytes) -> Image.Image | None:
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(image, source, _srgb_profile(), outputMode="RGB")
    except Exception:  # no littlecms, or a profile that does not fit the pixels: keep the colours as they are
        return None
    return converted if isinstance(converted, Image.Image) else None


@cache
def _srgb_profile() -> Any:
    from PIL import ImageCms

    return ImageCms.createProfile("sRGB")


def _jpeg(image: Image.Image, limits: ImageLimits) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=limits.jpeg_quality, optimize=True, progressive=True)
    return buffer.getvalue()


def _webp(image: Image.Image, limits: ImageLimits) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=limits.webp_quality, method=4)
    return buffer.getvalue()
