"""Training data that fits through a narrow pipe: `main.py pack` here, `main.py unpack` on the GPU machine.

A GPU command may carry at most 64 MiB, the project's own files included, so what the fleet trains on is packed
into gzipped tar shards of at most SHARD_MIB (less when the project's files leave less room), one shard per
command (gzip takes away the tar's 512-byte blocks around 22k small files, a third of an uncompressed shard):
- faces128/train re-encoded as WebP (FACE_QUALITY; the PSNR against the original JPEGs is measured and printed),
- masks256/train at 128 px (nearest neighbour, 1-bit PNG; a 256 px run scales them up again),
- scenes/train as the 320 px centre squares the scene trainer crops from (WebP, SCENE_QUALITY),
- the dlib landmarks of the training faces, which maskedface needs and the GPU machine cannot compute (no dlib
  there): found once here and cached in kit/cache,
- the VGG features file of the perceptual and style losses (../shared/weights),
- the installed weight sets (weights/SET: generators, card, and the discriminators in training/), so a later
  window continues from them (`fleet --init-from-installed`) although weights/ itself is moved aside for the
  window: committed weights would otherwise travel with every command (seven sets are over 64 MiB).
Unpacked, the shards form a data root laid out as `main.py fleet --data-root` expects.
"""
from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from engines.contract import Progress, Work
from engines.errors import InputError

MIB = 2**20
SHARD_MIB = 56
COMMAND_MIB = 63.5  # what one command may carry (64 MiB), less a margin
FACE_QUALITY, SCENE_QUALITY = 80, 90  # measured on the full sets: faces 38.3 dB at 38 MiB, scenes 41.3 dB at 21 MiB
MASK_SIZE, SCENE_SIDE = 128, 320
MANIFEST = "kit-data.json"
VGG_NAME = "vgg19_normalised_relu3_1.safetensors"
LANDMARKS = "landmarks/faces128-train.npz"
ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "kit" / "cache"
WEIGHTS_ASIDE = "weights"  # moved out of the tree for a window; its sets travel in the shards
INSTALLED = "installed/"


def travelling_files(repo: Path = ROOT) -> list[Path]:
    """What a GPU command carries from the working tree: the tracked files and the untracked ones git does not ignore."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=repo,
                            capture_output=True, check=False)
    if listed.returncode:
        raise InputError(f"{repo}: not a git checkout; cannot tell what a GPU command would carry.")
    return [repo / name for name in listed.stdout.decode().split("\0") if name and (repo / name).is_file()]


def folder_sizes(repo: Path = ROOT) -> dict[str, int]:
    """Bytes a GPU command carries from the tree besides the shard, per top-level file or folder."""
    sizes: dict[str, int] = {}
    for path in travelling_files(repo):
        top = path.relative_to(repo).parts[0]
        sizes[top] = sizes.get(top, 0) + path.stat().st_size
    return sizes


def travelling_bytes(repo: Path = ROOT) -> int:
    """What every GPU command carries besides the shard, weights/ left out: it is moved aside for the window."""
    sizes = folder_sizes(repo)
    return sum(sizes.values()) - sizes.get(WEIGHTS_ASIDE, 0)


def aside_bytes(repo: Path = ROOT) -> int:
    """The weights that would travel with every GPU command unless weights/ is moved aside."""
    return folder_sizes(repo).get(WEIGHTS_ASIDE, 0)


def _weights_dir() -> Path:
    from engines.registry import WEIGHTS_DIR  # weights/, or INPAINT_WEIGHTS_DIR

    return WEIGHTS_DIR


def installed_files(weights_root: Path) -> list[Path]:
    """The files of every installed weight set: generators, cards, discriminators (training/)."""
    return sorted(p for p in weights_root.glob("**/*") if p.is_file() and (p.suffix == ".safetensors" or p.name == "card.json"))


def shard_limit(carried: int, repo: Path = ROOT) -> int:
    """The largest shard that fits into one GPU command beside the ``carried`` bytes of the project's own files; when
    too little is left, the refusal names the folders that take the room."""
    room = int(COMMAND_MIB * MIB) - carried
    if room < 8 * MIB:
        sizes = sorted(((n, b) for n, b in folder_sizes(repo).items() if n != WEIGHTS_ASIDE), key=lambda nb: -nb[1])
        largest = ", ".join(f"{name} {size / MIB:.1f} MiB" for name, size in sizes[:3])
        raise InputError(f"The project's own files are {carried / MIB:.1f} MiB (largest: {largest}); with them a GPU command "
                         f"can carry only {room / MIB:.1f} MiB of data. Commit fewer weights, ignore or remove what does not "
                         "belong in the repository, or carry the data in more, smaller shards.")
    return min(SHARD_MIB * MIB, room)


def _psnr(mse: list[float]) -> tuple[float, float]:
    """(PSNR of the mean squared error over all images, PSNR of the worst image) in dB."""
    to_db = lambda m: 10 * np.log10(255**2 / max(m, 1e-12))  # noqa: E731
    return float(to_db(np.mean(mse))), float(to_db(max(mse)))


def _webp(bgr: np.ndarray, quality: int) -> tuple[bytes, float]:
    ok, encoded = cv2.imencode(".webp", bgr, [cv2.IMWRITE_WEBP_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not encode WebP")
    decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return encoded.tobytes(), float(((decoded.astype(np.float64) - bgr) ** 2).mean())


def _encode_all(files: list[Path], encode: Callable[[Path], tuple[bytes, float]]) -> tuple[list[bytes], list[float]]:
    with ThreadPoolExecutor(8) as pool:
        done = list(pool.map(encode, files))
    return [d for d, _ in done], [m for _, m in done]


def _face(path: Path) -> tuple[bytes, float]:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"{path}: not a readable image.")
    return _webp(bgr, FACE_QUALITY)


def _scene(path: Path) -> tuple[bytes, float]:
    from engines.data.bank import Crop, read_square_rgb

    rgb = read_square_rgb(path, round(SCENE_SIDE / 1.25), Crop.RANDOM)  # the trainer's own square, before its crops
    return _webp(np.ascontiguousarray(rgb[:, :, ::-1]), SCENE_QUALITY)


def _mask(path: Path) -> tuple[bytes, float]:
    grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise InputError(f"{path}: not a readable mask.")
    small = np.where(cv2.resize(grey, (MASK_SIZE, MASK_SIZE), interpolation=cv2.INTER_NEAREST) > 127, 255, 0).astype(np.uint8)
    return cv2.imencode(".png", small, [cv2.IMWRITE_PNG_BILEVEL, 1, cv2.IMWRITE_PNG_COMPRESSION, 9])[1].tobytes(), 0.0


def landmarks_cache(faces: Path, limit: int | None = None, cache: Path = CACHE) -> Path:
    """Where the landmarks of a face folder are cached (named after the folder's absolute path)."""
    key = hashlib.sha256(f"{faces.resolve()}:{limit}".encode()).hexdigest()[:10]
    return cache / f"landmarks-{faces.parent.name}-{faces.name}-{key}.npz"


def cached_landmarks(faces: Path, limit: int | None = None, cache: Path = CACHE) -> Work[Path]:
    """The dlib landmarks of ``faces``, computed once (slow: about 20 minutes for 22k faces on 2 cores) and cached."""
    from engines.faces.landmark_cache import compute_landmarks

    cached = landmarks_cache(faces, limit, cache)
    cached.parent.mkdir(parents=True, exist_ok=True)
    if not cached.is_file():
        staged = cached.with_name(f".{cached.stem}.part.npz")
        yield from compute_landmarks(faces, staged, limit)
        staged.replace(cached)
    return cached


def check_landmarks_file(path: Path) -> None:
    """A landmarks file as `main.py landmarks` writes it (names, landmarks, sizes; no pickles), or one sentence."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if not {"names", "landmarks", "sizes"} <= set(data.files):
                raise ValueError("names, landmarks and sizes missing")
    except (OSError, ValueError, EOFError):
        raise InputError(f"{path}: not a landmarks file made by `main.py landmarks` (a NumPy .npz of names, landmarks "
                         "and sizes).") from None


def _renamed_landmarks(cached: Path, names: dict[str, str]) -> bytes:
    """The landmarks .npz keyed by the packed file names."""
    with np.load(cached, allow_pickle=False) as data:
        keep = [i for i, n in enumerate(data["names"]) if str(n) in names]
        if not keep:
            raise InputError(f"{cached}: no landmarks of the faces being packed (made for another folder?).")
        out = io.BytesIO()
        np.savez_compressed(out, names=np.array([names[str(data["names"][i])] for i in keep]),
                            landmarks=data["landmarks"][keep], sizes=data["sizes"][keep])
    return out.getvalue()


def pack(shared: Path, out: Path, limit: int | None = None, weights_root: Path | None = None,
         shard_bytes: int | None = None, cache: Path = CACHE, landmarks: Path | None = None) -> Work[dict]:
    """Shards kit-data-N.tgz in ``out`` from ``shared`` (../shared: datasets/ and weights/); returns the manifest."""
    from engines.data.bank import image_files

    datasets = shared / "datasets"
    faces = datasets / "faces128" / "train"
    vgg = shared / "weights" / VGG_NAME
    for needed in (faces, datasets / "masks256" / "train", datasets / "scenes" / "train", vgg):
        if not needed.exists():
            raise InputError(f"{needed}: missing; pack needs ../shared as the datasets README describes it.")
    carried = travelling_bytes()  # checked before the slow work: a shard that cannot travel is not worth making
    limit_bytes = shard_bytes or shard_limit(carried)
    if landmarks is not None:
        check_landmarks_file(landmarks)
    landmarks = landmarks or (yield from cached_landmarks(faces, limit, cache))  # given: `main.py landmarks` of faces
    items: list[tuple[str, bytes]] = []
    quality = {}
    for part, source, encode, suffix in (("faces128/train", faces, _face, ".webp"),
                                         ("masks128/train", datasets / "masks256" / "train", _mask, ".png"),
                                         ("scenes320/train", datasets / "scenes" / "train", _scene, ".webp")):
        files = image_files(source, limit)
        yield Progress(len(quality), 4, f"encoding {len(files)} files of {part}")
        data, mse = _encode_all(files, encode)
        items += [(f"{part}/{path.stem}{suffix}", blob) for path, blob in zip(files, data)]
        if suffix == ".webp":
            mean, worst = _psnr(mse)
            quality[part] = {"psnr_db": round(mean, 2), "worst_psnr_db": round(worst, 2), "files": len(files),
                             "quality": FACE_QUALITY if part.startswith("faces") else SCENE_QUALITY}
        if part.startswith("faces"):
            items.append((LANDMARKS, _renamed_landmarks(landmarks, {p.name: f"{p.stem}.webp" for p in files})))
            items.append((f"weights/{VGG_NAME}", vgg.read_bytes()))
    weights_root = weights_root or _weights_dir()
    items += [(INSTALLED + p.relative_to(weights_root).as_posix(), p.read_bytes()) for p in installed_files(weights_root)]
    manifest = {"created": time.strftime("%Y-%m-%d %H:%M:%S"), "quality": quality, "carried_mib": round(carried / MIB, 1),
                "totals": _totals(name for name, _ in items)}
    shards = _split(items, limit_bytes)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("kit-data-*.tgz"):
        old.unlink()
    manifest["shards"] = []
    for index, shard in enumerate(shards, 1):
        path = out / f"kit-data-{index}.tgz"
        _write_shard(path, shard, {**manifest, "shard": index, "of": len(shards)})
        manifest["shards"].append({"file": path.name, "mib": round(path.stat().st_size / MIB, 2),
                                   "parts": _totals(name for name, _ in shard)})
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest


def _totals(names) -> dict[str, int]:
    totals: dict[str, int] = {}
    for name in names:
        part = "/".join(name.split("/")[:-1]) or name
        totals[part] = totals.get(part, 0) + 1
    return totals


def _split(items: list[tuple[str, bytes]], limit: int) -> list[list[tuple[str, bytes]]]:
    shards, current, size = [], [], 0
    for name, blob in items:
        cost = len(blob) + 128  # a tar header and padding, gzipped
        if cost > limit - 64 * 1024:
            raise InputError(f"{name} alone ({len(blob) / MIB:.1f} MiB) is larger than a shard may be ({limit / MIB:.1f} MiB).")
        if current and size + cost > limit - 64 * 1024:
            shards.append(current)
            current, size = [], 0
        current.append((name, blob))
        size += cost
    return shards + ([current] if current else [])


def _write_shard(path: Path, items: list[tuple[str, bytes]], manifest: dict) -> None:
    staged = path.with_name(f".{path.name}.part")
    with tarfile.open(staged, "w:gz", compresslevel=6) as tar:
        for name, blob in [(MANIFEST, json.dumps(manifest, indent=2).encode()), *items]:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(blob), int(time.time())
            tar.addfile(info, io.BytesIO(blob))
    staged.replace(path)


def unpack(shards: list[Path], to: Path, weights_root: Path | None = None) -> list[str]:
    """Extract shards into the data root ``to`` (installed weight sets into weights/); returns report lines:
    what is there against what the pack held, and whether OpenCV here reads the images."""
    weights_root = weights_root or _weights_dir()
    to.mkdir(parents=True, exist_ok=True)
    manifest = None
    for shard in shards:
        if not tarfile.is_tarfile(shard):
            raise InputError(f"{shard}: not a shard made by `main.py pack`.")
        with tarfile.open(shard) as tar:
            manifest = json.loads(tar.extractfile(MANIFEST).read())
            members = [m for m in tar.getmembers() if m.name != MANIFEST]
            tar.extractall(to, members=[m for m in members if not m.name.startswith(INSTALLED)], filter="data")
            for member in (m for m in members if m.name.startswith(INSTALLED)):
                member.name = member.name.removeprefix(INSTALLED)
                tar.extract(member, weights_root, filter="data")
        (to / f"kit-data-{manifest['shard']}.json").write_text(json.dumps(manifest, indent=2))
    if manifest is None:
        raise InputError("No shard given.")
    lines = []
    for part, total in manifest["totals"].items():
        folder = weights_root / part.removeprefix(INSTALLED) if part.startswith(INSTALLED) else to / part
        present = sum(1 for p in folder.iterdir() if p.is_file()) if folder.is_dir() else int((to / part).is_file())
        lines.append(f"{part}: {present} of {total}" + ("" if present >= total else " (send the other shards)"))
    for part in ("faces128/train", "scenes320/train"):
        first = next(iter(sorted((to / part).glob("*.webp"))), None) if (to / part).is_dir() else None
        if first is not None:
            readable = cv2.imread(str(first)) is not None
            lines.append(f"{part}: OpenCV {cv2.__version__} {'reads' if readable else 'CANNOT read'} {first.name}")
    return lines
