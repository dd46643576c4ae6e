"""The models part of the Workspace façade: a trained model run made into a model package
(native formats, ONNX with checked parity, reference profile, card, lineage) and registered;
model references resolved to packages and predictors; exports and MLflow imports."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel._workspace_train import MODEL_KIND
from keel.config import KeelConfig
from keel.errors import ArtifactError, ModelError
from keel.store import SQLStore
from keel.store._artifacts import ArtifactStore

if TYPE_CHECKING:
    import pandas as pd

    from keel.data import Loaded, Schema
    from keel.models import ModelPackage, ModelVersion, Predictor, Registry
    from keel.store import RunRecord

#: Export formats: a package folder, its zip, an MLflow pyfunc model, an edge bundle.
EXPORT_FORMATS = ("package", "zip", "mlflow", "bundle")
_EVALUATION_CARD = "evaluation/model_card.md"


class ModelsMethods:
    """Mixed into Workspace, which provides these attributes and methods."""

    root: Path
    config: KeelConfig
    store: SQLStore
    artifacts: ArtifactStore

    if TYPE_CHECKING:
        read_data: Callable[..., Loaded]
        load_snapshot: Callable[..., tuple[pd.DataFrame, Schema]]
        load_model: Callable[..., Any]
        search_runs: Callable[..., list[RunRecord]]
        download_artifact: Callable[..., Path]
        _model_run: Callable[[str | None], RunRecord]
        holdout_record: Callable[[str], dict[str, Any] | None]

    @property
    def registry(self) -> Registry:
        """The model registry of this workspace (versions, aliases, history, lineage)."""
        from keel.models import Registry

        found = self.__dict__.get("_registry")
        if found is None:
            found = self.__dict__["_registry"] = Registry(self.store, self.artifacts)
        return found

    @property
    def package_cache(self) -> Path:
        """Where registered packages are unpacked for use (one folder per package digest)."""
        return self.root / ".keel" / "models" / "packages"

    def package_model(
        self,
        run: str | None = None,
        dest: str | Path | None = None,
        *,
        onnx: bool = True,
        quantize: bool = False,
        tolerance: float = 0.01,
        compile: bool = False,
        parents: Sequence[str] = (),
    ) -> Path:
        """Write the model package of a model run (the newest trained model when None).

        The package holds the fitted features and model in native formats, an ONNX graph
        when it converts and matches the native model on the run's held-out rows, the
        reference profile of the training rows, the model card of the run's latest
        report when there is one, and the lineage: run, data snapshot, code commit.
        ``compile`` also builds the tree ensembles with tl2cgen, kept when faster (the
        ``compile`` extra).
        """
        from keel.models import Trained, write_package

        record = self._model_run(run)
        rows = self._model_rows(record)
        trained = Trained.from_automl(self.load_model(record.run_id), rows.schema)
        lineage = {
            "run_id": record.run_id,
            "snapshot_id": rows.snapshot_id,
            "git_commit": git_commit(self.root),
            "parents": list(parents),
        }
        folder = Path(dest) if dest else self.root / "models" / record.run_id[:12]
        return write_package(
            trained,
            folder,
            holdout=(rows.holdout_X, rows.holdout_y),
            reference=rows.train_X,
            metrics=dict(record.metrics),
            lineage=lineage,
            card=self._run_card(record),
            onnx=onnx,
            quantize=quantize,
            tolerance=tolerance,
            compile=compile,
        )

    def register_model(
        self,
        run: str | None = None,
        *,
        name: str | None = None,
        alias: str | None = None,
        why: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        parents: Sequence[str] = (),
        onnx: bool = True,
        quantize: bool = False,
        tolerance: float = 0.01,
        compile: bool = False,
    ) -> ModelVersion:
        """Package a model run and register it as the next version of ``name`` (the
        project's name by default), optionally pointing ``alias`` at it."""
        with tempfile.TemporaryDirectory() as folder:
            path = self.package_model(
                run,
                Path(folder) / "package",
                onnx=onnx,
                quantize=quantize,
                tolerance=tolerance,
                compile=compile,
                parents=parents,
            )
            return self.registry.register(
                name or self.config.project,
                path,
                description=description,
                tags=dict(tags or {}),
                parents=parents,
                alias=alias,
                why=why,
            )

    def model_package(self, ref: str) -> ModelPackage:
        """The package ``ref`` names: a registry ref (``name``, ``name/3``, ``name@alias``)
        or a package folder or zip on disk. Every file's hash is verified."""
        from keel.models import load_package

        path = Path(ref)
        if path.exists():
            return load_package(path)
        return load_package(self.registry.fetch(ref, self.package_cache))

    def load_predictor(self, ref: str, *, backend: str = "auto") -> Predictor:
        """A predictor for ``ref`` (see ``model_package``): ONNX Runtime when the package
        holds a verified graph, the native model otherwise, or the ``backend`` asked for."""
        return self.model_package(ref).predictor(backend=backend)

    def export_model(self, ref: str, dest: str | Path, *, format: str = "zip") -> Path:
        """Write the model ``ref`` names as a package folder, a zip, an MLflow model or an
        edge bundle (ONNX graph, schema and a standalone numpy + onnxruntime predictor)."""
        if format not in EXPORT_FORMATS:
            raise ModelError(
                f"Unknown export format {format!r}: use one of {', '.join(EXPORT_FORMATS)}.",
                field="format",
            )
        package, target = self.model_package(ref), Path(dest)
        if format == "package":
            shutil.copytree(package.root, target)
            return target
        if format == "zip":
            from keel.models import zip_package

            return zip_package(package.root, target)
        if format == "mlflow":
            from keel.models import export_mlflow

            return export_mlflow(package, target)
        from keel.models import export_bundle

        return export_bundle(package, target)

    def import_mlflow_model(
        self,
        path: str | Path,
        *,
        name: str | None = None,
        sample: Any = None,
        alias: str | None = None,
        why: str | None = None,
    ) -> ModelVersion:
        """Register an MLflow scikit-learn or LightGBM model as the next version of ``name``.

        ``sample`` (a source) gives the schema when the MLflow model has no signature, and
        the rows on which its ONNX graph is checked against it."""
        from keel.models import import_mlflow, write_package

        frame = self.read_data(sample).frame if sample is not None else None
        trained = import_mlflow(path, sample=frame)
        features = [column.name for column in trained.schema.features()]
        holdout = None if frame is None else (frame[features], None)
        lineage = {"imported_from": str(Path(path).resolve()), "git_commit": git_commit(self.root)}
        with tempfile.TemporaryDirectory() as folder:
            package = write_package(
                trained, Path(folder) / "package", holdout=holdout, lineage=lineage
            )
            return self.registry.register(
                name or self.config.project, package, alias=alias, why=why
            )

    # -- the rows of a model run ---------------------------------------------------------

    def _model_rows(self, record: RunRecord) -> _ModelRows:
        held_out = self.holdout_record(record.run_id)
        if held_out is None:
            raise ModelError(
                f"The model run {record.run_id} has no record of its held-out rows (trained by "
                "an older keel), so its ONNX graph cannot be checked: train it again.",
                field="run",
            )
        frame, schema = self.load_snapshot(held_out["snapshot"])
        target = held_out["target"]
        labelled = frame.loc[frame[target].notna()]
        holdout = frame.iloc[held_out["rows"]]
        train = labelled.drop(index=holdout.index)
        return _ModelRows(
            snapshot_id=held_out["snapshot"],
            schema=schema,
            holdout_X=holdout.drop(columns=[target]),
            holdout_y=holdout[target],
            train_X=train.drop(columns=[target]),
        )

    def _run_card(self, record: RunRecord) -> str | None:
        """The model card of the newest report on this model run, if one was written."""
        if record.tags.get("keel.kind") != MODEL_KIND:
            return None
        reports = self.search_runs(
            f"parent_run_id = '{record.run_id}' and tags.keel.kind = 'evaluation'",
            order_by=["start_time desc"],
            max_results=1,
        )
        if not reports:
            return None
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = self.download_artifact(
                    reports[0].run_id, _EVALUATION_CARD, Path(folder) / "card"
                )
                return path.read_text()
        except ArtifactError:
            return None


@dataclass(frozen=True)
class _ModelRows:
    """A model run's data: the snapshot's schema, its held-out rows and its training rows."""

    snapshot_id: str
    schema: Schema
    holdout_X: pd.DataFrame
    holdout_y: pd.Series
    train_X: pd.DataFrame


def git_commit(folder: Path) -> str | None:
    """The commit checked out in ``folder``'s git repository (with ``+dirty`` when tracked
    files differ from it), or None outside a repository."""
    from keel.tracking._process import git_state

    commit, dirty = git_state(folder)
    return f"{commit}+dirty" if commit and dirty else commit
