"""The size of each weighted loss term at the start of a run, per engine, as its trainer weights it.

A short GPU run is judged by what it exports, so no term should swamp the others from the first step. Stand-ins
for an untrained generator's output on held-out images with NVIDIA masks: the hole blurred (sigma 4), the hole
filled with the mean known colour, and a flat grey image. Uses the normalised VGG19 the trainers use.
docs/papers/*.md quote these figures. Run: python bench/loss_terms.py [--images 16]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines.cfs import trainer as cfs  # noqa: E402
from engines.crg import trainer as crg  # noqa: E402
from engines.data.bank import Crop, draw_batch, load_bank  # noqa: E402
from engines.losses.pixel import l1_loss  # noqa: E402
from engines.losses.vgg import LayerReduction, VggFeatures, correlation_loss, find_vgg_weights, perceptual_loss, style_loss, style_sum_loss  # noqa: E402
from engines.lskfnet import trainer as lskfnet  # noqa: E402
from engines.regionwise import trainer as regionwise  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets"
SUM, MEAN = LayerReduction.SUM, LayerReduction.MEAN


def stand_ins(image: torch.Tensor, hole: torch.Tensor) -> dict[str, torch.Tensor]:
    known = 1 - hole
    mean = (image * known).sum((2, 3), keepdim=True) / known.sum((2, 3), keepdim=True)
    blurred = torch.from_numpy(np.stack([cv2.GaussianBlur(x.permute(1, 2, 0).numpy(), (0, 0), 4) for x in image]))
    return {"blurred hole": image * known + blurred.permute(0, 3, 1, 2) * hole, "mean-colour hole": image * known + mean * hole,
            "flat grey": torch.full_like(image, 0.5)}


def face_terms(vgg: VggFeatures, out: torch.Tensor, image: torch.Tensor, hole: torch.Tensor) -> dict[str, float]:
    relu, real = vgg(out), vgg(image)
    pooled, real_pooled = vgg.pooled(out), vgg.pooled(image)
    return {
        "lskfnet L1/mask": lskfnet.IMAGE_L1 * (l1_loss(out, image) / hole.mean()).item(),
        "lskfnet perceptual": lskfnet.IMAGE_PERCEPTUAL * perceptual_loss(relu, real, SUM).item(),
        "lskfnet style": lskfnet.IMAGE_STYLE * style_loss(relu, real, MEAN).item(),
        "cfs L1": cfs.IMAGE_L1 * l1_loss(out, image).item(),
        "cfs perceptual": cfs.IMAGE_PERCEPTUAL * perceptual_loss(relu, real, MEAN).item(),
        "cfs perceptual at eq. 14's 300": 300 * perceptual_loss(relu, real, MEAN).item(),
        "cfs style": cfs.IMAGE_STYLE * style_loss(relu, real, MEAN).item(),
        "crg refiner L1": l1_loss(out, image).item(),
        "crg refiner style (one of two)": crg.K_STYLE * style_loss(pooled, real_pooled, SUM).item(),
    }


def regionwise_terms(vgg: VggFeatures, out: torch.Tensor, image: torch.Tensor) -> dict[str, float]:
    pooled, real = vgg.pooled(out), vgg.pooled(image)
    return {"regionwise L_r (two outputs)": 2 * l1_loss(out, image).item(),
            "regionwise correlation": regionwise.LAMBDA_CORRELATION * correlation_loss(pooled[1], real[1]).item(),
            "regionwise style": regionwise.LAMBDA_STYLE * style_sum_loss(pooled, real).item()}


def table(title: str, rows: dict[str, dict[str, float]]) -> None:
    names = list(rows)
    print(f"\n{title}\n{'term':34}" + "".join(f"{n:>18}" for n in names))
    for term in rows[names[0]]:
        print(f"{term:34}" + "".join(f"{rows[n][term]:18.4f}" for n in names))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=16)
    args = parser.parse_args()
    weights = find_vgg_weights()
    if weights is None or not (DATA / "faces128" / "val").is_dir():
        print("Needs ../shared/datasets (faces128, scenes, masks256) and the VGG weights file.")
        return 1
    vgg = VggFeatures(weights)
    print(f"VGG: {vgg.source}; {args.images} images per set")
    masks = DATA / "masks256" / "train"
    with torch.no_grad():
        for folder, size, crop, faces in (("faces128/val", 128, Crop.CENTRE, True), ("scenes/val", 256, Crop.RANDOM, False)):
            bank = load_bank(DATA / folder, masks, size, crop, limit=args.images, generated_masks=0)
            batch = draw_batch(bank, args.images, 0, 0)
            image, hole = batch["image"], batch["mask"]
            outs = stand_ins(image, hole)
            rows = {name: {**(face_terms(vgg, out, image, hole) if faces else {}), **regionwise_terms(vgg, out, image)}
                    for name, out in outs.items()}
            table(f"{folder} at {size} px, mean hole {hole.mean().item():.0%}", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
