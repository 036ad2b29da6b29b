"""CRG (cyclic reverse generator): iterative face inpainting with an encoder-generator pair, a quality
discriminator that scores every cycle, and a U-Net refiner. Paper: ../shared/papers/crg_iterative_face_inpainting.txt;
paper against code: docs/papers/crg.md."""
from pathlib import Path

from engines import registry
from engines.contract import EngineSpec, Need, OptionalNetwork, Option, OptionKind

SCORER_FOLDER = "crg-quality"  # the quality discriminator, trained on its own (`main.py train crg-quality`)
SCORER_FILE = "quality.safetensors"
SCORER_TITLE = "CRG quality discriminator (face scorer)"

SPEC = EngineSpec(
    name="crg",
    title="CRG (iterative, faces, sketch edits)",
    description="Re-encodes the face again and again, filling the hole a little better each cycle; shows every cycle "
                "with its quality score, keeps the best, and gives different results for different initial fills. "
                "Colour strokes drawn in the hole (glasses, hair) steer it.",
    needs=frozenset({Need.MASK, Need.CONTEXT, Need.FACE, Need.COLOUR_STROKES}),
    resolution=128,
    pad_multiple=64,
    multiple_results=True,
    seeded=True,
    iterative=True,
    weights=("encoder.safetensors", "generator.safetensors"),
    optional_weights=(OptionalNetwork("refiner.safetensors", "U-Net refiner", "refine", "no"),),  # trained last
    options=(
        Option("initial", OptionKind.CHOICE, "mean", "What fills the hole before the first cycle (strokes are laid over it)",
               choices=("mean", "noise")),
        Option("min_cycles", OptionKind.INT, 10, "Cycles always run before stopping when the score stops rising", minimum=1, maximum=50),
        Option("max_cycles", OptionKind.INT, 30, "Cycles at most", minimum=1, maximum=100),
        Option("refine", OptionKind.CHOICE, "yes", "Smooth the seam with the U-Net (the coarse cycle stays in the strip)",
               choices=("yes", "no")),
    ),
)

registry.register(SPEC, "engines.crg.engine:CrgEngine")


def scorer_installed(root: Path | None = None) -> bool:
    """Whether trained quality-discriminator weights are installed (read without importing torch)."""
    folder = (root or registry.WEIGHTS_DIR) / SCORER_FOLDER
    return registry.files_state(folder, (SCORER_FILE,)) is registry.WeightsState.TRAINED
