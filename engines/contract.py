"""The engine contract: what every engine declares, takes, yields and returns.

At the boundary, once and for all:
- image: RGB ``uint8`` H x W x 3;
- mask: ``bool`` H x W, True = fill this pixel (``uint8`` 0/255 is accepted and converted);
- sketch: RGBA ``uint8`` H x W x 4 strokes, alpha 0 = no stroke.

Long work is a generator that yields :class:`Progress` and returns its result
(``StopIteration.value``); :func:`drive` runs one to the end.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np

from engines.errors import Cancelled, InputError


class Need(StrEnum):
    """What an engine needs from the user besides the image."""

    MASK = "mask"
    SKETCH = "sketch"
    COLOUR_STROKES = "colour_strokes"
    FACE = "face"
    CONTEXT = "context"  # some known pixels around the hole


class OptionKind(StrEnum):
    CHOICE = "choice"
    INT = "int"
    FLOAT = "float"


@dataclass(frozen=True)
class Option:
    """One engine option, described well enough for the CLI and the GUI to build a control."""

    name: str
    kind: OptionKind
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def parse(self, value: Any) -> Any:
        """Turn a user value (often a string) into a checked value of this option's kind."""
        try:
            parsed = {OptionKind.CHOICE: str, OptionKind.INT: int, OptionKind.FLOAT: float}[self.kind](value)
        except (TypeError, ValueError):
            raise InputError(f"Option {self.name!r} must be a {self.kind.value}, not {value!r}.") from None
        if self.kind is OptionKind.FLOAT and parsed != parsed:  # NaN passes every comparison below
            raise InputError(f"Option {self.name!r} must be a number, not {value!r}.")
        if self.kind is OptionKind.CHOICE and parsed not in self.choices:
            raise InputError(f"Option {self.name!r} must be one of {', '.join(self.choices)}; got {parsed!r}.")
        if self.minimum is not None and parsed < self.minimum:
            raise InputError(f"Option {self.name!r} must be at least {self.minimum}; got {parsed}.")
        if self.maximum is not None and parsed > self.maximum:
            raise InputError(f"Option {self.name!r} must be at most {self.maximum}; got {parsed}.")
        return parsed


@dataclass(frozen=True)
class Domain:
    """One set of weights of an engine that carries several (faces, scenes): each has its own weights folder
    weights/<engine>/<domain>/, its own working resolution, and faces are filled through face alignment."""

    name: str
    title: str
    resolution: int
    faces: bool = False


@dataclass(frozen=True)
class OptionalNetwork:
    """A network an engine can run without: an export leaves it out when it was never trained, and the option that
    uses it is then forced to ``off`` (the editor disables it, results say so)."""

    file: str  # under weights/<name>/
    title: str  # "the U-Net refiner"
    option: str  # the option that uses it
    off: str  # that option's value without it


@dataclass(frozen=True)
class EngineSpec:
    """How an engine declares itself. The UI and CLI read this instead of keeping name lists."""

    name: str
    title: str
    description: str
    needs: frozenset[Need]
    resolution: int | None  # native square side; None = works on the crop at its own size
    max_hole_pixels: int | None = None  # resolution None only: larger holes are filled at a reduced scale
    max_crop_pixels: int | None = None  # resolution None only: larger context boxes are filled at a reduced scale
    pad_multiple: int = 1
    multiple_results: bool = False
    seeded: bool = False  # its results depend on the request's seed (the UI shows the seed only then)
    iterative: bool = False
    weights: tuple[str, ...] = ()  # file names under weights/<name>/, all needed
    optional_weights: tuple[OptionalNetwork, ...] = ()  # networks it runs without (an option forced off)
    options: tuple[Option, ...] = ()
    domains: tuple[Domain, ...] = ()  # several weight sets, chosen per fill (--domain); empty = one set

    def uses(self, need: Need) -> bool:
        return need in self.needs

    def domain(self, name: str | None) -> Domain:
        """The named domain (the first one for None); an unknown name is an error that lists them."""
        if not self.domains:
            raise InputError(f"Engine {self.name!r} has no domains.")
        if name is None:
            return self.domains[0]
        for domain in self.domains:
            if domain.name == name:
                return domain
        raise InputError(f"Engine {self.name!r} has no domain {name!r} (domains: {', '.join(d.name for d in self.domains)}).")

    def for_domain(self, name: str) -> EngineSpec:
        """The spec an engine instance of one domain works with: that domain's resolution, face alignment or not."""
        domain = self.domain(name)
        needs = self.needs | {Need.FACE} if domain.faces else self.needs - {Need.FACE}
        return replace(self, title=f"{self.title}: {domain.title}", resolution=domain.resolution, needs=frozenset(needs))

    def parse_options(self, raw: Mapping[str, Any]) -> Mapping[str, Any]:
        """Defaults overlaid with the user's values, each checked; unknown names are an error."""
        known = {o.name: o for o in self.options}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            names = ", ".join(known) or "none"
            raise InputError(f"Engine {self.name!r} has no option {unknown[0]!r} (options: {names}).")
        values = {o.name: o.default for o in self.options}
        values.update({k: known[k].parse(v) for k, v in raw.items()})
        return MappingProxyType(values)


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def as_image(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = getattr(image, "shape", type(image).__name__), getattr(image, "dtype", "")
        raise InputError(f"The image must be an RGB uint8 array of shape H x W x 3; got {got[0]} {got[1]}.")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise InputError("The image is empty (zero width or height).")
    return image


def as_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A bool H x W mask; uint8 0/255 (or 0/1) masks are converted."""
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        raise InputError(f"The mask must be an H x W array; got shape {getattr(mask, 'shape', None)}.")
    if mask.shape != shape:
        raise InputError(f"The mask is {mask.shape[1]}x{mask.shape[0]} but the image is {shape[1]}x{shape[0]}.")
    if mask.dtype == np.bool_:
        return mask
    if mask.dtype == np.uint8:
        return mask > 0
    raise InputError(f"The mask must be bool or uint8; got {mask.dtype}.")


def as_sketch(sketch: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray | None:
    if sketch is None:
        return None
    if not isinstance(sketch, np.ndarray) or sketch.dtype != np.uint8 or sketch.shape != (*shape, 4):
        raise InputError(
            f"The sketch must be an RGBA uint8 array of shape {shape[0]} x {shape[1]} x 4; "
            f"got {getattr(sketch, 'shape', None)} {getattr(sketch, 'dtype', '')}."
        )
    return sketch


@dataclass(frozen=True)
class InpaintRequest:
    """One fill job. Arrays are kept as read-only views: no engine can modify the caller's data."""

    image: np.ndarray
    mask: np.ndarray
    sketch: np.ndarray | None = None
    seed: int = 0
    device: str = "auto"
    n_results: int = 1
    options: Mapping[str, Any] = field(default_factory=dict)
    faces: tuple[np.ndarray, ...] | None = None  # 68 x 2 landmarks found earlier; face engines then skip detection

    def __post_init__(self) -> None:
        image = as_image(self.image)
        shape = image.shape[:2]
        object.__setattr__(self, "image", _read_only(image))
        object.__setattr__(self, "mask", _read_only(as_mask(self.mask, shape)))
        sketch = as_sketch(self.sketch, shape)
        object.__setattr__(self, "sketch", None if sketch is None else _read_only(sketch))
        if self.device not in ("auto", "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise InputError(f"Device must be auto, cpu or cuda; got {self.device!r}.")
        if not 1 <= self.n_results <= 16:
            raise InputError(f"The number of results must be between 1 and 16; got {self.n_results}.")
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        if self.faces is not None:
            faces = tuple(np.asarray(f, np.float32) for f in self.faces)
            if any(f.shape != (68, 2) for f in faces):
                raise InputError("Each face must be given as 68 x 2 landmarks.")
            object.__setattr__(self, "faces", faces)


@dataclass(frozen=True)
class Candidate:
    """One filled image with what is known about it (seed, score, ...)."""

    image: np.ndarray
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InpaintResult:
    candidates: tuple[Candidate, ...]
    message: str = ""

    @property
    def image(self) -> np.ndarray:
        """The first (best) result."""
        return self.candidates[0].image


@dataclass(frozen=True)
class Progress:
    """One step of long work. ``partial`` carries a finished piece of the result that is ready early (one
    engine's output in a comparison), so callers never read results out of messages."""

    step: int
    total: int
    message: str
    preview: np.ndarray | None = None
    score: float | None = None
    partial: Any = None


class CancelToken:
    """Set from any thread; long work checks it between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("Cancelled.")


T = TypeVar("T")
Work = Generator[Progress, None, T]


def drive(work: Work[T], on_progress: Callable[[Progress], None] | None = None) -> T:
    """Run a progress generator to the end and return its result."""
    while True:
        try:
            event = next(work)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(event)
