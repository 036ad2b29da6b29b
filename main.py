"""Entry point: the editor by default, sub-commands (engines, inpaint, batch) for scripts. See --help."""
import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main())
