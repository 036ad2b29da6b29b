"""``main.py inpaint``: fill one image."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from cli.progress import run_with_bar
from engines import registry
from engines.batch import face_mask
from engines.contract import InpaintRequest
from engines.errors import InputError
from engines.imageio import load_image, load_mask, load_sketch, save_image
from engines.service import FillService


def output_paths(out: Path, count: int) -> list[Path]:
    """``out`` for one result; ``stem_1.ext``, ``stem_2.ext``, ... for several."""
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}_{i + 1}{out.suffix}") for i in range(count)]


def refuse_overwriting(outputs: list[Path], originals: list[Path]) -> None:
    for path in outputs:
        for original in originals:
            if path.resolve() == original.resolve():
                raise InputError(f"{path} is an input file; originals are never overwritten. Choose another --out.")


def fill_one(args: argparse.Namespace, options: dict[str, str]) -> int:
    image_path, out = Path(args.image), Path(args.out)
    if not args.mask and not args.auto_face_mask:
        raise InputError("Give --mask, --auto-face-mask REGION, or both.")
    registry.require_runnable(args.engine, args.domain)  # an engine without weights says so before any slow work
    spec = registry.spec(args.engine)
    spec.parse_options(options)
    count = args.n_results if spec.multiple_results else 1
    refuse_overwriting(output_paths(out, count), [image_path] + [Path(p) for p in (args.mask, args.sketch) if p])
    loaded = load_image(image_path)
    shape = loaded.rgb.shape[:2]
    mask = load_mask(args.mask, shape) if args.mask else np.zeros(shape, bool)
    faces = None
    if args.auto_face_mask:
        face_region, faces, note = face_mask(loaded.rgb, args.auto_face_mask)
        print(f"{image_path.name}: {note}", file=sys.stderr)
        mask |= face_region
    sketch = load_sketch(args.sketch, shape) if args.sketch else None
    request = InpaintRequest(loaded.rgb, mask, sketch, args.seed, args.device, args.n_results, options, faces)
    result = run_with_bar(FillService().fill(args.engine, request, args.domain), image_path.name)
    paths = output_paths(out, len(result.candidates))
    written = []
    for path, candidate in zip(paths, result.candidates):
        save_image(path, candidate.image, loaded.meta)
        score = candidate.info.get("score")
        written.append(str(path) + ("" if score is None else f" (score {score:.3f})"))
    print(f"{result.message} Wrote {', '.join(written)}")
    return 0
