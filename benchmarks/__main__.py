"""``python -m benchmarks``: run every workload for every system and write benchmarks/RESULTS.md."""
import sys

from benchmarks.run import main

sys.exit(main())
