"""Weight-free engines."""
