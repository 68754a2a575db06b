"""`python -m service`: the `candor` command, for when its script is not on PATH."""

import sys

from service.cli import main

if __name__ == "__main__":  # not when a multiprocessing child re-imports this module
    sys.exit(main())
