"""--engine ray: trials run as Ray tasks on a local Ray instance this test starts, sharing
the studies (and pruning) through keel's database."""

from __future__ import annotations

import warnings
from pathlib import Path

import optuna
import pytest
from sklearn.datasets import load_breast_cancer

from keel.train import AutoML

ray = pytest.importorskip("ray", reason="the ray extra is not installed")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_trials_run_as_ray_tasks_sharing_the_study(local_ray, tmp_path: Path) -> None:
    frame = load_breast_cancer(as_frame=True).frame
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    spec = {"engine": "ray", "jobs": 2, "search": {"pruner": "median"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoML(spec, trials=8, budget_s=120, seed=0, storage=storage, study_name="r",
                       algorithms=["logistic", "lightgbm"]).fit(
            frame.drop(columns="target"), frame["target"]
        )  # fmt: skip
    assert len(model.leaderboard_) == 8
    assert all(t.state in ("complete", "pruned") for t in model.leaderboard_)
    workers = {t.message for t in model.leaderboard_}  # no trial failed on the workers
    assert not any("Error" in m for m in workers)
    lightgbm = optuna.load_study(study_name="r/lightgbm", storage=storage)
    reported = [t for t in lightgbm.trials if t.intermediate_values]
    assert reported, "Ray tasks reported no round to the shared study"
    assert model.predict_proba(frame.drop(columns="target").head(3)).shape == (3, 2)
