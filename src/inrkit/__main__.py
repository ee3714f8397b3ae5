"""``python -m inrkit`` runs the command line."""

import sys

from inrkit.cli import main

sys.exit(main())
