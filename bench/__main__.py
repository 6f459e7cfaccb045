"""`python -m bench` (what `make bench` runs). See bench/harness.py and docs/performance.md."""

import sys

from bench.harness import main

sys.exit(main(sys.argv[1:]))
