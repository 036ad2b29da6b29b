"""Command-line interface: the same engine calls the editor makes, for scripts and folders."""
