"""Errors whose message is one clear sentence meant for the user (CLI line or GUI dialog)."""


class InpaintError(Exception):
    """Base of every error the user should see as a plain message rather than a traceback."""


class InputError(InpaintError):
    """The image, mask, sketch, options or paths given are not usable."""


class ImageFileError(InpaintError):
    """An image file cannot be read or written."""


class EngineUnavailable(InpaintError):
    """The engine is unknown or lacks what it needs to run (trained weights, a face, ...)."""


class Cancelled(InpaintError):
    """The user cancelled the work."""
