"""Errors whose message is one clear sentence meant for the user (CLI line or GUI dialog)."""


class InpaintError(Exception):
    """Base of every error the user should see as a plain message rather than a traceback."""


class InputError(InpaintError, ValueError):
    """The image, mask, sketch, options or paths given are not usable (a ValueError too, for code that checks
    arguments that way)."""


class ImageFileError(InpaintError):
    """An image file cannot be read or written."""


class WeightsFileError(InpaintError):
    """A weights, checkpoint or optimizer file is missing, damaged, not safetensors, or does not fit its network."""


class EngineUnavailable(InpaintError):
    """The engine is unknown or lacks what it needs to run (trained weights, a face, ...)."""


class Cancelled(InpaintError):
    """The user cancelled the work."""
