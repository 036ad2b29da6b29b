"""CRG (cyclic reverse generator) parts. So far: the quality discriminator, a no-reference score for face results."""
