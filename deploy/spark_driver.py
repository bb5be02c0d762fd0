"""spark-submit entry point: the inventory-activity CLI, run inside the submitted driver.

``spark-submit [options] spark_driver.py run --date 2026-01-05 --env prod`` behaves exactly like
``inventory-activity run --date 2026-01-05 --env prod``; its exit code is the CLI's (Spark
passes a Python driver's exit status through spark-submit).
"""

import sys

from pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main())
