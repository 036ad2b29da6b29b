"""``python -m inpaint_editor`` and the ``inpaint-editor`` command: the editor by default, sub-commands for scripts
(the same as ``python main.py``; see --help)."""
import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main())
