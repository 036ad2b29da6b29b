"""CFS: sketch-guided two-stage inpainting (partial-conv sketch generator, CFS-block image generator).
Paper: ../shared/papers/cfs_sketch_guided_inpainting.txt; paper against code: docs/papers/cfs.md."""
from engines.contract import EngineSpec, Need
from engines.registry import register

SPEC = EngineSpec(
    name="cfs",
    title="CFS (sketch-guided, faces)",
    description="Completes the sketch of the face in the hole (or takes the lines you draw there with the sketch pen), "
                "then colours the hole along it.",
    needs=frozenset({Need.MASK, Need.SKETCH, Need.CONTEXT, Need.FACE}),
    resolution=128,
    pad_multiple=16,
    weights=("sketch.safetensors", "image.safetensors"),
)

register(SPEC, "engines.cfs.engine:CfsEngine")
