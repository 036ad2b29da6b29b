"""LSK-FNet: edge-guided face inpainting with gated convolution and region normalization.
Paper: ../shared/papers/lskfnet_edge_guided_face_inpainting.txt; paper against code: docs/papers/lskfnet.md."""
from engines.contract import EngineSpec, Need, Option, OptionKind
from engines.registry import register

SPEC = EngineSpec(
    name="lskfnet",
    title="LSK-FNet (edge-guided, faces)",
    description="Predicts the missing edges, then fills the face along them (gated conv + region normalization).",
    needs=frozenset({Need.MASK, Need.CONTEXT, Need.FACE}),
    resolution=128,
    pad_multiple=4,
    weights=("edge.safetensors", "image.safetensors"),
    options=(Option("edge_sigma", OptionKind.FLOAT, 2.0, "Canny smoothing of the known edges", minimum=0.0, maximum=5.0),),
)

register(SPEC, "engines.lskfnet.engine:LskfnetEngine")
