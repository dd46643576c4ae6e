"""Print the design's effect sizes of the two tables as JSON (``_drift_data.effect_sizes``).

    python _drift_effects.py REFERENCE.parquet CURRENT.parquet

Run as its own process so the benchmark's parent never holds the tables.
"""

from __future__ import annotations

import json
import sys

import pandas as pd
from _drift_data import effect_sizes

if __name__ == "__main__":
    reference, current = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
    print(json.dumps(effect_sizes(reference, current)))
