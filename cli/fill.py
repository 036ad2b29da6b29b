"""``main.py inpaint``: fill one image. Every output is checked before any work: it is not an input, its type is
known, its folder is writable and its format can hold the photo's size."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from cli.progress import run_with_bar
from engines import registry
from engines.batch import face_mask
from engines.contract import InpaintRequest
from engines.errors import ImageFileError, InputError
from engines.imageio import check_output, load_image, load_sketch, refuse_overwriting, save_image
from engines.mask_file import read_mask, require_hole
from engines.service import FillService


def output_paths(out: Path, count: int) -> list[Path]:
    """``out`` for one result; ``stem_1.ext``, ``stem_2.ext``, ... for several."""
    if count <= 1:
        return [out]
    return [out.with_name(f"{out.stem}_{i + 1}{out.suffix}") for i in range(count)]


def fill_one(args: argparse.Namespace, options: dict[str, str]) -> int:
    image_path, out = Path(args.image), Path(args.out)
    if not args.mask and not args.auto_face_mask:
        raise InputError("Give --mask, --auto-face-mask REGION, or both.")
    registry.require_runnable(args.engine, args.domain)  # an engine without weights says so before any slow work
    spec = registry.spec(args.engine)
    spec.parse_options(options)
    outputs = output_paths(out, args.n_results if spec.multiple_results else 1)
    refuse_overwriting(outputs, [image_path] + [Path(p) for p in (args.mask, args.sketch) if p])
    for path in outputs:
        check_output(path)
    loaded = load_image(image_path)
    shape = loaded.rgb.shape[:2]
    for path in outputs:
        check_output(path, shape)
    mask = np.zeros(shape, bool)
    if args.mask:
        read = read_mask(args.mask, shape)
        print(read.note, file=sys.stderr)
        mask |= read.mask
    faces = None
    if args.auto_face_mask:
        try:
            face_region, faces, note = face_mask(loaded.rgb, args.auto_face_mask, beside_mask=bool(args.mask))
        except InputError as error:
            raise InputError(f"{image_path.name}: {error}") from None
        print(f"{image_path.name}: {note}", file=sys.stderr)
        mask |= face_region
    require_hole(mask, Path(args.mask).name if args.mask else image_path.name)
    sketch = load_sketch(args.sketch, shape) if args.sketch else None
    request = InpaintRequest(loaded.rgb, mask, sketch, args.seed, args.device, args.n_results, options, faces)
    result = run_with_bar(FillService().fill(args.engine, request, args.domain), image_path.name)
    written: list[str] = []
    for path, candidate in zip(outputs, result.candidates):
        try:
            save_image(path, candidate.image, loaded.meta)
        except ImageFileError as error:
            raise ImageFileError(f"{error} Written before it: {', '.join(written)}." if written else str(error)) from None
        score = candidate.info.get("score")
        written.append(str(path) + ("" if score is None else f" (score {score:.3f})"))
    print(f"{result.message} Wrote {', '.join(written)}")
    return 0
