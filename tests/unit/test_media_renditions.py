"""Issue 9, "Images": web renditions of a partner's picture (newsdesk.media.renditions).

JPEG and WebP at each configured width not wider than the original (else one at the original's own
width), EXIF orientation applied, alpha flattened on white, metadata stripped, the pixel count
checked from the header before anything is decoded, and any broken input refused with
MediaRefused (never another exception). Identical input gives identical bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from newsdesk.media import MediaRefused
from newsdesk.media.renditions import ImageLimits, Original, Rendition, make_renditions
from tests.support.image_server import encode, photo, photo_jpeg, png_bytes, solid

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
LIMITS = ImageLimits()
WIDTHS = (320, 640, 1024)


def opened(rendition: Rendition) -> Image.Image:
    image = Image.open(io.BytesIO(rendition.data))
    image.load()
    return image


def near(pixel: object, colour: tuple[int, int, int], tolerance: int = 24) -> bool:
    assert isinstance(pixel, tuple), pixel
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header claiming width x height, with a little IDAT: a decompression bomb's shape."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100_000, 9))
        + chunk(b"IEND", b"")
    )


# --- widths and formats ------------------------------------------------------------------------------


def test_each_configured_width_gets_a_jpeg_and_a_webp() -> None:
    original, renditions = make_renditions(photo_jpeg(1200, 800), WIDTHS, LIMITS)
    assert original == Original(width=1200, height=800, mimetype="image/jpeg")
    assert [(r.width, r.height, r.mimetype, r.ext) for r in renditions] == [
        (320, 213, "image/jpeg", "jpg"),
        (320, 213, "image/webp", "webp"),
        (640, 427, "image/jpeg", "jpg"),
        (640, 427, "image/webp", "webp"),
        (1024, 683, "image/jpeg", "jpg"),
        (1024, 683, "image/webp", "webp"),
    ]
    for rendition in renditions:
        image = opened(rendition)
        assert image.size == (rendition.width, rendition.height)
        assert image.format == {"image/jpeg": "JPEG", "image/webp": "WEBP"}[rendition.mimetype]
        assert image.mode == "RGB"


def test_jpeg_renditions_are_progressive_and_smaller_than_the_original() -> None:
    source = photo_jpeg(2400, 1600, quality=92)
    _, renditions = make_renditions(source, WIDTHS, LIMITS)
    jpeg = [r for r in renditions if r.mimetype == "image/jpeg"]
    assert all(opened(r).info.get("progressive") for r in jpeg)
    assert sum(len(r.data) for r in renditions) < len(source)


def test_widths_wider_than_the_original_are_left_out() -> None:
    _, renditions = make_renditions(photo_jpeg(800, 600), WIDTHS, LIMITS)
    assert sorted({(r.width, r.height) for r in renditions}) == [(320, 240), (640, 480)]


def test_an_original_narrower_than_every_width_gets_one_rendition_at_its_own_width() -> None:
    original, renditions = make_renditions(photo_jpeg(200, 150), WIDTHS, LIMITS)
    assert original == Original(200, 150, "image/jpeg")
    assert [(r.width, r.height, r.ext) for r in renditions] == [(200, 150, "jpg"), (200, 150, "webp")]


def test_widths_are_taken_once_in_ascending_order() -> None:
    _, renditions = make_renditions(photo_jpeg(700, 700), (640, 0, 320, 640, -5), LIMITS)
    assert [(r.width, r.ext) for r in renditions] == [(320, "jpg"), (320, "webp"), (640, "jpg"), (640, "webp")]


def test_a_very_wide_strip_keeps_at_least_one_pixel_of_height() -> None:
    _, renditions = make_renditions(encode(solid(3000, 2, (9, 9, 9)), "PNG"), (320,), LIMITS)
    assert {(r.width, r.height) for r in renditions} == {(320, 1)}


@pytest.mark.parametrize(
    ("data", "mimetype"),
    [
        (png_bytes(400, 300), "image/png"),
        (encode(photo(400, 300), "GIF"), "image/gif"),
        (encode(photo(400, 300), "WEBP"), "image/webp"),
        (png_bytes(400, 300, mode="L"), "image/png"),
        (encode(photo(400, 300).convert("CMYK"), "JPEG"), "image/jpeg"),
        (encode(photo(400, 300).convert("I;16"), "PNG"), "image/png"),
    ],
)
def test_other_formats_and_modes_give_rgb_renditions(data: bytes, mimetype: str) -> None:
    original, renditions = make_renditions(data, (320,), LIMITS)
    assert original == Original(400, 300, mimetype)
    assert [opened(r).mode for r in renditions] == ["RGB", "RGB"]


# --- orientation, alpha, metadata, animation -----------------------------------------------------------


def test_exif_orientation_is_applied_and_the_tag_is_gone() -> None:
    stored = Image.new("RGB", (400, 200), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 200, 200))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": the left edge becomes the top
    original, renditions = make_renditions(encode(stored, "JPEG", quality=95, exif=exif.tobytes()), (320,), LIMITS)
    assert original == Original(200, 400, "image/jpeg")
    for rendition in renditions:
        image = opened(rendition)
        assert image.size == (200, 400)
        assert near(image.getpixel((100, 50)), (255, 0, 0)), rendition.ext
        assert near(image.getpixel((100, 350)), (0, 0, 255)), rendition.ext
        assert 0x0112 not in image.getexif()


def test_a_large_turned_png_is_reduced_and_turned_the_right_way() -> None:
    stored = Image.new("RGBA", (4000, 2000), (0, 0, 255, 255))
    stored.paste((255, 0, 0, 255), (0, 0, 2000, 2000))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6
    original, renditions = make_renditions(encode(stored, "PNG", exif=exif.tobytes()), (320,), LIMITS)
    assert original == Original(2000, 4000, "image/png")
    for rendition in renditions:
        image = opened(rendition)
        assert image.size == (320, 640)
        assert near(image.getpixel((160, 80)), (255, 0, 0)), rendition.ext
        assert near(image.getpixel((160, 560)), (0, 0, 255)), rendition.ext


def test_metadata_is_stripped() -> None:
    exif = Image.Exif()
    exif[0x013B] = "Photographer Name"  # Artist
    exif[0x010E] = "secret location"  # ImageDescription
    source = encode(photo(640, 480), "JPEG", exif=exif.tobytes(), comment=b"internal note")
    _, renditions = make_renditions(source, (320,), LIMITS)
    for rendition in renditions:
        assert b"Photographer" not in rendition.data and b"secret" not in rendition.data
        assert b"internal note" not in rendition.data
        info = opened(rendition).info
        assert "exif" not in info and "comment" not in info and "icc_profile" not in info


@pytest.mark.parametrize("profile", ["srgb", b"not an ICC profile at all"])
def test_an_embedded_colour_profile_is_converted_or_ignored_never_refused(profile: str | bytes) -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() if profile == "srgb" else profile
    source = encode(solid(400, 300, (200, 30, 30)), "JPEG", quality=95, icc_profile=icc)
    _, renditions = make_renditions(source, (320,), LIMITS)
    for rendition in renditions:
        image = opened(rendition)
        assert "icc_profile" not in image.info
        assert near(image.getpixel((160, 120)), (200, 30, 30))


def test_transparency_is_flattened_on_white() -> None:
    picture = Image.new("RGBA", (400, 400), (0, 0, 0, 0))  # transparent black
    picture.paste((255, 0, 0, 255), (0, 0, 200, 400))  # opaque red left half
    _, renditions = make_renditions(encode(picture, "PNG"), (320,), LIMITS)
    for rendition in renditions:
        image = opened(rendition)
        assert image.mode == "RGB"
        assert near(image.getpixel((300, 160)), (255, 255, 255)), rendition.ext
        assert near(image.getpixel((40, 160)), (255, 0, 0)), rendition.ext


def test_a_palette_gif_with_a_transparent_colour_is_flattened_on_white() -> None:
    picture = Image.new("P", (100, 100), 0)
    picture.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    picture.paste(1, (0, 0, 50, 100))
    _, renditions = make_renditions(encode(picture, "GIF", transparency=0), (320,), LIMITS)
    image = opened(renditions[0])
    assert near(image.getpixel((75, 50)), (255, 255, 255))
    assert near(image.getpixel((25, 50)), (0, 255, 0))


def test_an_animated_gif_gives_its_first_frame() -> None:
    frames = [solid(120, 80, (255, 0, 0)), solid(120, 80, (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    original, renditions = make_renditions(buffer.getvalue(), (320,), LIMITS)
    assert original == Original(120, 80, "image/gif")
    assert all(near(opened(r).getpixel((60, 40)), (255, 0, 0)) for r in renditions)


# --- refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(8_000, 8_000), (20_000, 20_000), (100_000, 500)])
def test_a_pixel_bomb_is_refused_from_its_header_before_decoding(width: int, height: int) -> None:
    # Decoding would fail too (the IDAT holds far fewer pixels), as "corrupt": "pixels" shows the
    # header check refused it first.
    with pytest.raises(MediaRefused) as caught:
        make_renditions(png_claiming(width, height), WIDTHS, ImageLimits(max_pixels=40_000_000))
    assert caught.value.reason == "pixels"


def test_the_pixel_cap_is_the_limits_one() -> None:
    with pytest.raises(MediaRefused) as caught:
        make_renditions(photo_jpeg(100, 100), WIDTHS, ImageLimits(max_pixels=9_999))
    assert caught.value.reason == "pixels"
    assert make_renditions(photo_jpeg(100, 100), WIDTHS, ImageLimits(max_pixels=10_000))[0].width == 100


def test_a_truncated_jpeg_is_refused_as_corrupt() -> None:
    source = photo_jpeg(640, 480)
    with pytest.raises(MediaRefused) as caught:
        make_renditions(source[: len(source) // 2], WIDTHS, LIMITS)
    assert caught.value.reason == "corrupt"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xd8\xff",
        b"not an image at all",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        random.Random(1).randbytes(4096),
        b"BM" + b"\0" * 200,
        b"%PDF-1.7\n" + b"\0" * 100,
    ],
)
def test_bytes_that_are_no_supported_image_are_refused(data: bytes) -> None:
    with pytest.raises(MediaRefused) as caught:
        make_renditions(data, WIDTHS, LIMITS)
    assert caught.value.reason in {"not_image", "corrupt"}


def _damaged_variants() -> list[bytes]:
    sources = [photo_jpeg(96, 64), png_bytes(96, 64), encode(photo(96, 64), "GIF"), encode(photo(96, 64), "WEBP")]
    rng = random.Random(9)
    variants: list[bytes] = []
    for source in sources:
        variants.extend(source[: len(source) * k // 8] for k in range(1, 8))
        for _ in range(12):
            damaged = bytearray(source)
            for _ in range(rng.randint(1, 6)):
                damaged[rng.randrange(2, min(len(damaged), 400))] = rng.randrange(256)
            variants.append(bytes(damaged))
    return variants


@pytest.mark.parametrize("data", _damaged_variants())
def test_damaged_images_give_renditions_or_media_refused_never_another_error(data: bytes) -> None:
    try:
        original, renditions = make_renditions(data, (32, 64), LIMITS)
    except MediaRefused:
        return
    assert renditions and all(r.data for r in renditions) and original.width > 0


# --- determinism ---------------------------------------------------------------------------------------

_DIGESTS = """
import hashlib, json
from newsdesk.media.renditions import ImageLimits, make_renditions
from tests.support.image_server import photo_jpeg
_, renditions = make_renditions(photo_jpeg(1500, 1000, seed=7), (320, 640, 1024), ImageLimits())
print(json.dumps([hashlib.sha256(r.data).hexdigest() for r in renditions]))
"""


def test_identical_input_gives_identical_bytes_in_this_and_a_fresh_process() -> None:
    source = photo_jpeg(1500, 1000, seed=7)
    first = make_renditions(source, WIDTHS, LIMITS)
    second = make_renditions(source, WIDTHS, LIMITS)
    assert first == second
    output = subprocess.run([sys.executable, "-c", _DIGESTS], check=True, capture_output=True, text=True, cwd=ROOT)
    assert json.loads(output.stdout) == [hashlib.sha256(r.data).hexdigest() for r in first[1]]
