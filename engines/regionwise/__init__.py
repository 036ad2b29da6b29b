"""Region-wise GAN for large holes: a semantic inferring network with region-wise convolutions, a global
perceiving network, and a region-wise discriminator. Paper: ../shared/papers/regionwise_gan_large_holes.txt.
Two weight sets: faces (aligned 128 px faces) and scenes (256 px; object and watermark removal).
Paper against code: docs/papers/regionwise.md."""
from engines.contract import Domain, EngineSpec, Need
from engines.registry import register

SPEC = EngineSpec(
    name="regionwise",
    title="Region-wise GAN (large holes)",
    description="Two networks, the first with separate filters for the hole and the known pixels, for large "
                "contiguous holes: removing objects and watermarks in photos (scenes) or filling faces (faces).",
    needs=frozenset({Need.MASK, Need.CONTEXT}),
    resolution=256,
    pad_multiple=4,
    weights=("semantic.safetensors", "perceiving.safetensors"),
    domains=(Domain("scenes", "scenes and objects", 256), Domain("faces", "faces", 128, faces=True)),
)

register(SPEC, "engines.regionwise.engine:RegionwiseEngine")
