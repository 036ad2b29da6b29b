"""Loading every kind of image the editor meets, and saving it back without losing what it carried."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from engines.errors import ImageFileError
from engines.imageio import load_image, load_sketch, save_image, save_mask, write_atomic
from engines.mask_file import load_mask


def _rgb(h=6, w=8) -> np.ndarray:
    return np.arange(h * w * 3, dtype=np.uint8).reshape(h, w, 3)


def test_exif_orientation_is_applied_and_reset(tmp_path):
    pixels = np.zeros((4, 6, 3), np.uint8)
    pixels[0, 0] = 255  # top-left, red
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "TestCam"
    image.save(tmp_path / "o.png", exif=exif.tobytes())
    loaded = load_image(tmp_path / "o.png")
    assert loaded.rgb.shape == (6, 4, 3)
    assert loaded.rgb[0, -1, 0] == 255, "the red corner moves to the top-right"
    save_image(tmp_path / "back.jpg", loaded.rgb, loaded.meta)
    saved_exif = Image.open(tmp_path / "back.jpg").getexif()
    assert saved_exif.get(0x0112, 1) == 1 and saved_exif[0x010F] == "TestCam"


@pytest.mark.parametrize("mode", ["L", "P", "LA", "RGBA", "CMYK", "I;16", "1"])
def test_every_mode_loads_as_rgb_uint8(tmp_path, mode):
    suffix = ".jpg" if mode == "CMYK" else ".png"
    Image.fromarray(_rgb(), "RGB").convert(mode).save(tmp_path / f"x{suffix}")
    loaded = load_image(tmp_path / f"x{suffix}")
    assert loaded.rgb.shape == (6, 8, 3) and loaded.rgb.dtype == np.uint8
    assert loaded.meta.mode == mode


def test_alpha_survives_load_and_save(tmp_path):
    rgba = np.dstack([_rgb(), np.linspace(0, 255, 48, dtype=np.uint8).reshape(6, 8)])
    Image.fromarray(rgba).save(tmp_path / "a.png")
    loaded = load_image(tmp_path / "a.png")
    assert np.array_equal(loaded.meta.alpha, rgba[..., 3])
    save_image(tmp_path / "b.webp", loaded.rgb, loaded.meta)
    save_image(tmp_path / "b.png", loaded.rgb, loaded.meta)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "b.png")), rgba)
    assert Image.open(tmp_path / "b.webp").mode == "RGBA"


def test_palette_transparency_becomes_alpha(tmp_path):
    image = Image.fromarray(_rgb()).convert("P")
    image.info["transparency"] = 0
    image.save(tmp_path / "p.png", transparency=0)
    loaded = load_image(tmp_path / "p.png")
    assert loaded.meta.alpha is not None and loaded.meta.alpha.min() == 0


def test_sixteen_bit_grey_keeps_unchanged_pixels_exact(tmp_path):
    grey16 = (np.arange(48, dtype=np.uint16) * 1361).reshape(6, 8)
    Image.fromarray(grey16).save(tmp_path / "g.png")
    loaded = load_image(tmp_path / "g.png")
    assert np.array_equal(loaded.rgb[..., 0], (grey16 >> 8).astype(np.uint8))
    edited = loaded.rgb.copy()
    edited[0, 0] = 7
    save_image(tmp_path / "g2.png", edited, loaded.meta)
    back = np.asarray(Image.open(tmp_path / "g2.png"))
    assert back[0, 0] == 7 * 257
    assert np.array_equal(back.ravel()[1:], grey16.ravel()[1:])


def test_grey_input_is_saved_grey(tmp_path):
    Image.fromarray(_rgb()[..., 0]).save(tmp_path / "g.png")
    loaded = load_image(tmp_path / "g.png")
    save_image(tmp_path / "g.jpg", loaded.rgb, loaded.meta)
    assert Image.open(tmp_path / "g.jpg").mode == "L"


def test_icc_profile_survives(tmp_path):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(_rgb()).save(tmp_path / "c.png", icc_profile=icc)
    loaded = load_image(tmp_path / "c.png")
    save_image(tmp_path / "c.jpg", loaded.rgb, loaded.meta)
    assert Image.open(tmp_path / "c.jpg").info["icc_profile"] == icc


@pytest.mark.parametrize(("suffix", "fmt"), [(".png", "PNG"), (".jpg", "JPEG"), (".JPEG", "JPEG"), (".webp", "WEBP"), (".tif", "TIFF"), (".bmp", "BMP")])
def test_output_format_follows_the_extension(tmp_path, suffix, fmt):
    save_image(tmp_path / f"o{suffix}", _rgb())
    assert Image.open(tmp_path / f"o{suffix}").format == fmt


def test_unknown_extension_is_refused(tmp_path):
    with pytest.raises(ImageFileError, match="unknown image type '.xyz'"):
        save_image(tmp_path / "o.xyz", _rgb())
    assert list(tmp_path.iterdir()) == []


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    (tmp_path / "bomb.png").write_bytes(_png_header_only(30000, 30000))
    with pytest.raises(ImageFileError, match=r"30000 x 30000 is 900 megapixels, over the limit of 150"):
        load_image(tmp_path / "bomb.png")
    with pytest.raises(ImageFileError, match="over the limit of 1 "):
        load_image(tmp_path / "bomb.png", max_pixels=1_000_000)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"hello, not an image", "not an image"), (None, "damaged or truncated")],
)
def test_unreadable_files_give_one_clear_line(tmp_path, content, message):
    path = tmp_path / "bad.jpg"
    if content is None:
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(path)
        content = path.read_bytes()[:300]
    path.write_bytes(content)
    with pytest.raises(ImageFileError, match=message) as caught:
        load_image(path)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("bad.jpg: ")


def test_missing_file(tmp_path):
    with pytest.raises(ImageFileError, match="no such file"):
        load_image(tmp_path / "gone.png")


def test_masks_white_is_fill_and_transparent_masks_use_alpha(tmp_path):
    mask = np.zeros((6, 8), bool)
    mask[2:4, 3:6] = True
    save_mask(tmp_path / "m.png", mask)
    assert np.array_equal(load_mask(tmp_path / "m.png", (6, 8)), mask)
    rgba = np.zeros((6, 8, 4), np.uint8)
    rgba[..., 3] = mask * 255
    Image.fromarray(rgba).save(tmp_path / "t.png")
    assert np.array_equal(load_mask(tmp_path / "t.png", (6, 8)), mask)
    assert load_mask(tmp_path / "m.png", (12, 16)).sum() == mask.sum() * 4


def test_sketch_without_alpha_counts_dark_pixels_as_strokes(tmp_path):
    pixels = np.full((6, 8, 3), 255, np.uint8)
    pixels[1, 1] = (10, 20, 30)
    Image.fromarray(pixels).save(tmp_path / "s.png")
    sketch = load_sketch(tmp_path / "s.png", (6, 8))
    assert sketch.shape == (6, 8, 4) and sketch[..., 3].sum() == 255
    assert tuple(sketch[1, 1]) == (10, 20, 30, 255)


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "keep.png"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("engines.imageio.os.replace", broken_replace)
    with pytest.raises(ImageFileError, match="keep.png: could not be written .disk full.; nothing was changed"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]


def test_writing_into_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ImageFileError, match="such: no such folder"):
        save_image(Path(tmp_path / "no" / "such" / "o.png"), _rgb())


def test_written_files_get_normal_permissions(tmp_path):
    save_image(tmp_path / "o.png", _rgb())
    mode = (tmp_path / "o.png").stat().st_mode & 0o777
    assert mode & 0o044, "readable by others as any new file would be (umask permitting)"
