"""The evaluation part of the Workspace façade: a trained model scored on its held-out rows
(or on any data), a report and model card recorded as an evaluation run, and two models
compared on the same rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel._workspace_train import MODEL_KIND, STUDY_KIND
from keel.config import KeelConfig
from keel.errors import EvaluationError
from keel.store import SQLStore

if TYPE_CHECKING:
    import pandas as pd

    from keel.data import Loaded
    from keel.evaluate._compare import Comparison
    from keel.evaluate._evaluation import Evaluation
    from keel.store import RunRecord
    from keel.tracking import ActiveRun

EVALUATION_KIND = "evaluation"


@dataclass(frozen=True)
class EvaluatedModel:
    """A model ready to evaluate: the fitted model, its run and the labelled rows."""

    model: Any
    run_id: str | None
    rows: pd.DataFrame
    target: str
    data: str  # where the rows come from, in words


@dataclass(frozen=True)
class ReportResult:
    """What ``Workspace.report`` wrote and where it is recorded."""

    evaluation: Evaluation
    run_id: str
    html: Path
    card: Path


class EvaluateMethods:
    """Mixed into Workspace, which provides these attributes and methods."""

    root: Path
    config: KeelConfig
    store: SQLStore

    if TYPE_CHECKING:
        read_data: Callable[..., Loaded]
        load_snapshot: Callable[..., tuple[pd.DataFrame, Any]]
        load_model: Callable[..., Any]
        holdout_record: Callable[[str], dict[str, Any] | None]
        start_run: Callable[..., ActiveRun]
        get_run: Callable[[str], RunRecord]
        search_runs: Callable[..., list[RunRecord]]
        download_artifact: Callable[..., Path]

    def evaluate(
        self,
        model: str | None = None,
        *,
        data: Any = None,
        on_step: Callable[..., None] | None = None,
    ) -> Evaluation:
        """Metrics with intervals, calibration, fairness, explanations, worst slices and a
        performance profile of a trained model.

        Args:
            model: a model run id, a study run id (its model), or a ``.keelmodel`` file;
                the newest trained model when None.
            data: a source to evaluate on (every row); by default the model's held-out rows.
            on_step: called as each step starts with its name, the steps done and the
                number of steps (progress views).
        """
        return self._evaluate(self.model_to_evaluate(model, data), on_step)

    def _evaluate(self, subject: EvaluatedModel, on_step: Callable[..., None] | None) -> Evaluation:
        from keel.evaluate._evaluation import evaluate_model

        return evaluate_model(
            subject.model,
            subject.rows.drop(columns=[subject.target]),
            subject.rows[subject.target],
            spec=self.config.evaluate,
            sensitive=self._sensitive_rows(subject.rows),
            on_step=on_step,
        )

    def report(
        self,
        model: str | None = None,
        *,
        data: Any = None,
        out: str | Path | None = None,
        on_step: Callable[..., None] | None = None,
    ) -> ReportResult:
        """Evaluate a model and write a self-contained HTML report and a Markdown model card,
        recorded as an evaluation run (nested under the model's run when it has one)."""
        from keel.evaluate._html import write_report
        from keel.evaluate._report_build import evaluation_card, report_html

        subject = self.model_to_evaluate(model, data)
        evaluation = self._evaluate(subject, on_step)
        meta = self._report_meta(subject)
        folder = Path(out) if out else self.root / "reports" / (subject.run_id or "model")[:12]
        folder.mkdir(parents=True, exist_ok=True)
        html, card = folder / "report.html", folder / "model_card.md"
        write_report(html, report_html(evaluation, meta))
        write_report(card, evaluation_card(evaluation, meta))
        run_id = self._record_evaluation(subject, evaluation, html, card)
        return ReportResult(evaluation, run_id, html, card)

    def compare(
        self,
        a: str,
        b: str,
        *,
        data: Any = None,
        metrics: Sequence[str] | None = None,
    ) -> Comparison:
        """Test whether model ``b`` (the challenger) beats model ``a`` on the same rows.

        Without ``data`` both models must share their held-out rows (same snapshot, same
        split): rows one of them trained on would favour it.
        """
        from keel.evaluate._compare import compare
        from keel.evaluate._outcomes import outcomes_of

        first, second = self.model_to_evaluate(a, data), self.model_to_evaluate(b, data)
        if data is None:
            _require_same_rows(first, second)
        rows, target = first.rows, first.target
        X, y = rows.drop(columns=[target]), rows[target]
        spec = self.config.evaluate
        return compare(
            outcomes_of(first.model, X, y),
            outcomes_of(second.model, X, y),
            metrics=list(metrics) if metrics else None,
            alpha=spec.alpha,
            n_resamples=spec.bootstrap,
            seed=spec.seed,
        )

    def model_to_evaluate(self, ref: str | None, data: Any = None) -> EvaluatedModel:
        """The model ``ref`` names and the labelled rows to evaluate it on."""
        path = Path(ref) if ref else None
        if path is not None and path.suffix == ".keelmodel" and path.exists():
            from keel.train._persist import load_model

            return self._with_data(load_model(path), None, data)
        run = self._model_run(ref)
        fitted = self.load_model(run.run_id)
        if data is not None:
            return self._with_data(fitted, run.run_id, data)
        return self._with_holdout(fitted, run)

    # -- which model, which rows --------------------------------------------------------

    def _model_run(self, ref: str | None) -> RunRecord:
        if ref is None:
            runs = self.search_runs(
                f"tags.keel.kind = '{MODEL_KIND}'", order_by=["start_time desc"], max_results=1
            )
            if not runs:
                raise EvaluationError(
                    "No model has been trained in this workspace yet: run `keel train` first, "
                    "or name a model run or a .keelmodel file.",
                    field="model",
                )
            return runs[0]
        run = self.get_run(ref)
        kind = run.tags.get("keel.kind")
        if kind == MODEL_KIND:
            return run
        if kind == STUDY_KIND:
            children = self.search_runs(
                f"parent_run_id = '{run.run_id}' and tags.keel.kind = '{MODEL_KIND}'",
                max_results=1,
            )
            if children:
                return children[0]
        raise EvaluationError(
            f"Run {ref} ({run.name!r}) holds no trained model: give a model run (keel.kind = "
            f"model) or the study run of `keel train`.",
            field="model",
        )

    def _with_holdout(self, model: Any, run: RunRecord) -> EvaluatedModel:
        held_out = self.holdout_record(run.run_id)
        if held_out is None:  # an older run: no record of its held-out rows
            raise EvaluationError(
                f"The model run {run.run_id} has no record of its held-out rows (trained by an "
                "older keel): pass the data to evaluate on (--data).",
                field="data",
            )
        frame, _ = self.load_snapshot(held_out["snapshot"])
        rows = frame.iloc[held_out["rows"]]
        data = f"held-out rows ({len(rows):,}) of snapshot {held_out['snapshot'][:12]}"
        return EvaluatedModel(model, run.run_id, rows, held_out["target"], data)

    def _with_data(self, model: Any, run_id: str | None, data: Any) -> EvaluatedModel:
        if data is None:
            raise EvaluationError(
                "A model given as a file has no recorded held-out rows: pass the data to "
                "evaluate on (--data).",
                field="data",
            )
        loaded = self.read_data(data)
        target = self._evaluation_target(loaded.frame)
        rows = loaded.frame.loc[loaded.frame[target].notna()]
        return EvaluatedModel(model, run_id, rows, target, f"{loaded.source} ({len(rows):,} rows)")

    def _evaluation_target(self, frame: pd.DataFrame) -> str:
        target = self.config.data.target if self.config.data else None
        if target is None:
            raise EvaluationError(
                "Evaluation needs the labels: set data.target in keel.yaml.", field="data.target"
            )
        if target not in frame.columns:
            raise EvaluationError(
                f"The target column {target!r} (data.target) is not in the data to evaluate "
                f"on. Columns: {', '.join(map(str, frame.columns))}.",
                field="data.target",
            )
        return target

    def _sensitive_rows(self, rows: pd.DataFrame) -> pd.DataFrame | None:
        from keel.evaluate._fairness_input import select_columns

        columns = self.config.data.sensitive if self.config.data else []
        return select_columns(rows, columns) if columns else None

    # -- recording ----------------------------------------------------------------------

    def _report_meta(self, subject: EvaluatedModel) -> dict[str, Any]:
        from keel import __version__

        meta: dict[str, Any] = {
            "project": self.config.project,
            "data": subject.data,
            "keel": __version__,
            "target": subject.target,
        }
        if subject.run_id is not None:
            run = self.get_run(subject.run_id)
            meta.update(
                run=run.run_id,
                model=run.params.get("model", ""),
                gates=run.tags.get("keel.gates", ""),
            )
            inputs = self.store.run_inputs(run.run_id)  # type: ignore[attr-defined]
            meta["snapshots"] = [s for ids in inputs.values() for s in ids]
        return meta

    def _record_evaluation(
        self, subject: EvaluatedModel, evaluation: Evaluation, html: Path, card: Path
    ) -> str:
        import math

        tags = {"keel.kind": EVALUATION_KIND, "keel.data": subject.data}
        with self.start_run("evaluation", parent=subject.run_id, tags=tags) as run:
            metrics = {k: v for k, v in evaluation.metrics().items() if math.isfinite(v)}
            run.log_metrics(metrics)
            run.log_dict(evaluation.to_dict(), "evaluation/evaluation.json")
            run.log_artifact(html, "evaluation/report.html")
            run.log_artifact(card, "evaluation/model_card.md")
        return run.id


def _require_same_rows(first: EvaluatedModel, second: EvaluatedModel) -> None:
    same = first.target == second.target and first.rows.index.equals(second.rows.index)
    if not same or not first.rows.equals(second.rows):
        raise EvaluationError(
            "The two models were held out on different rows, so neither holdout is fair to "
            "both: pass data neither trained on (--data).",
            field="data",
        )
