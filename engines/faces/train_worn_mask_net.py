"""Train the worn-mask segmenter (engines/faces/worn_mask_net.py) on aligned faces with drawn-on face masks
(engines/faces/worn_mask_synth.py): ``python -m engines.faces.train_worn_mask_net --faces DIR --landmarks FILE
--textures DIR --out DIR``. Pictures are drawn afresh for every batch by a worker process; every ``--every``
steps the weights are written (safetensors) with the IoU of each class on HELD_OUT faces never trained on."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from safetensors.torch import save
from torch.nn import functional as F

from engines.data.bank import image_files
from engines.data.pack import check_landmarks_file
from engines.errors import InpaintError
from engines.faces.landmark_cache import read_landmarks, to_square
from engines.faces.worn_mask_net import CLASSES, WornMaskNet
from engines.faces.worn_mask_synth import degrade, draw_worn_mask, jitter
from engines.imageio import write_atomic
from engines.training.checkpoint import network_state

SIZE = 96  # training side: the faces of faces128 at 3/4, 37.5 px per eye distance
CLASS_WEIGHTS = (1.0, 1.0, 3.0)
HELD_OUT = 500  # the last faces (by name) are only drawn on for the held-out IoU


def read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


class Pictures(torch.utils.data.IterableDataset):
    def __init__(self, faces: list[Path], landmarks: dict, textures: Path, batch: int, seed: int, augment: bool = True):
        self.faces, self.landmarks, self.textures, self.batch, self.seed, self.augment = faces, landmarks, textures, batch, seed, augment

    def picture(self, path: Path, textures: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        face = read_rgb(path)
        points = to_square(*self.landmarks[path.name], face.shape[0])
        image, labels = draw_worn_mask(face, points, textures, rng)
        if self.augment:
            image, labels = jitter(image, labels, rng, textures)
            image = degrade(image, rng)
            if rng.random() < 0.5:
                image, labels = image[:, ::-1], labels[:, ::-1]
        return (cv2.resize(image, (SIZE, SIZE), interpolation=cv2.INTER_AREA),
                cv2.resize(labels, (SIZE, SIZE), interpolation=cv2.INTER_NEAREST))

    def __iter__(self):
        rng = np.random.default_rng(self.seed)
        textures = [read_rgb(p) for p in image_files(self.textures)[:200]] if self.textures else []
        while True:
            made = [self.picture(self.faces[rng.integers(len(self.faces))], textures, rng) for _ in range(self.batch)]
            yield (torch.from_numpy(np.stack([m[0] for m in made])).permute(0, 3, 1, 2).float() / 255,
                   torch.from_numpy(np.stack([m[1] for m in made])).long())


def held_out(faces: list[Path], landmarks: dict, textures: Path, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    pictures = Pictures(faces, landmarks, textures, count, seed=12345)
    return next(iter(pictures))


def iou(net: WornMaskNet, images: torch.Tensor, labels: torch.Tensor) -> list[float]:
    net.eval()
    with torch.no_grad():
        guess = torch.cat([net(images[i:i + 64]).argmax(1) for i in range(0, len(images), 64)])
    net.train()
    return [float(((guess == k) & (labels == k)).sum() / max(1, ((guess == k) | (labels == k)).sum())) for k in range(CLASSES)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=Path, required=True)
    parser.add_argument("--landmarks", type=Path, required=True, help="landmarks of --faces (main.py landmarks)")
    parser.add_argument("--textures", type=Path, help="photos whose patches become printed masks")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--every", type=int, default=250)
    parser.add_argument("--steps", type=int, help="stop after this many steps (else after --minutes)")
    parser.add_argument("--held-out", type=int, default=HELD_OUT, help="faces kept out of training for the IoU")
    args = parser.parse_args(argv)
    try:
        check_landmarks_file(args.landmarks)
        known = read_landmarks(args.landmarks)
        faces = [p for p in image_files(args.faces) if p.name in known]
        if args.textures:
            image_files(args.textures)
    except InpaintError as error:
        raise SystemExit(f"Error: {error}") from None
    if len(faces) <= args.held_out:
        raise SystemExit(f"{args.faces}: {len(faces)} faces with landmarks; more than --held-out {args.held_out} are needed")
    faces, val = faces[:-args.held_out], faces[-args.held_out:]
    val_images, val_labels = held_out(val, known, args.textures, min(256, 4 * args.held_out))
    loader = torch.utils.data.DataLoader(Pictures(faces, known, args.textures, args.batch, seed=1), batch_size=None, num_workers=1,
                                         prefetch_factor=4)
    net = WornMaskNet()
    optimiser = torch.optim.AdamW(net.parameters(), args.lr, weight_decay=1e-4)
    total_steps = args.steps  # else estimated from the first steps' pace and --minutes
    weights = torch.tensor(CLASS_WEIGHTS)
    args.out.mkdir(parents=True, exist_ok=True)
    start, log = time.monotonic(), []
    for step, (images, labels) in enumerate(loader, 1):
        elapsed = (time.monotonic() - start) / 60
        if total_steps is None and step == 50:
            total_steps = int(50 * args.minutes / max(elapsed, 1e-6))
        if total_steps:
            for group in optimiser.param_groups:
                group["lr"] = args.lr * 0.5 * (1 + np.cos(np.pi * min(1.0, step / total_steps)))
        loss = F.cross_entropy(net(images), labels, weight=weights)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        done = elapsed >= args.minutes or step == args.steps
        if step % args.every == 0 or done:
            scores = iou(net, val_images, val_labels)
            log.append({"step": step, "minutes": round(elapsed, 2), "loss": round(loss.item(), 4), "iou": [round(s, 4) for s in scores]})
            print(json.dumps(log[-1]), flush=True)
            write_atomic(args.out / "worn_mask_net.safetensors", save(network_state(net)))
            write_atomic(args.out / "log.json", json.dumps(log, indent=1).encode())
        if done:
            break


if __name__ == "__main__":
    main()
