"""`python -m app.cli` runs the `kintsugi` command line."""

import sys

from app.cli import main

sys.exit(main())
