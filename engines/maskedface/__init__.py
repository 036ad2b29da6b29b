"""Masked-face U-Net GAN with multi-scale mixed-attention residual modules: takes worn face masks off.
Paper: ../shared/papers/maskedface_unet_mmrm_gan.txt; paper against code: docs/papers/maskedface.md."""
from engines.contract import EngineSpec, Need
from engines.registry import register

SPEC = EngineSpec(
    name="maskedface",
    title="Masked-face GAN (removes worn face masks)",
    description="Replaces a worn face mask (nose to chin) with the lower face; faces are aligned first.",
    needs=frozenset({Need.MASK, Need.FACE}),
    resolution=128,
    pad_multiple=16,
    weights=("generator.safetensors",),
)

register(SPEC, "engines.maskedface.engine:MaskedFaceEngine")
