"""``main.py`` with no command: the editor."""
from __future__ import annotations

import argparse


def run_gui(image: str | None, parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    print("\nThe editor is not built yet; use the commands above.")
    return 0
