"""Concept-drift detectors on error streams: delay, false alarms, batch = one at a time,
keel = river where keel follows river's rules."""

from __future__ import annotations

import numpy as np
import pytest

from keel.errors import ConfigError, DataError
from keel.monitoring import (
    ADWIN,
    DDM,
    EDDM,
    ConceptDetector,
    PageHinkley,
    concept_detector,
    concept_detectors,
)

CHANGE = 500_000


def errors(rates: list[float], length: int, seed: int) -> np.ndarray:
    """0/1 errors: ``length`` values at each rate in turn."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.random(length) < p for p in rates]).astype(np.float64)


@pytest.mark.parametrize("name", ["adwin", "page_hinkley"])
@pytest.mark.parametrize(("after", "seed"), [(0.2, 1), (0.3, 2)])
def test_one_change_in_a_million_found_within_2000_values(name, after, seed):
    stream = errors([0.1, after], CHANGE, seed)
    detector = concept_detector(name)
    found = detector.update_many(stream)
    assert len(found) == 1
    assert CHANGE <= found[0] <= CHANGE + 2_000  # no alarm before the change, small delay
    assert abs(detector.changes[0].change_point - CHANGE) <= 500


@pytest.mark.parametrize("name", ["adwin", "page_hinkley"])
def test_a_shift_in_losses_is_found(name):
    rng = np.random.default_rng(3)
    losses = np.r_[rng.exponential(1.0, 200_000), rng.exponential(1.5, 50_000)]
    found = concept_detector(name).update_many(losses)
    assert len(found) == 1 and 200_000 <= found[0] <= 202_000


@pytest.mark.parametrize("name", ["adwin", "page_hinkley", "ddm"])
@pytest.mark.parametrize("rate", [0.02, 0.1, 0.3])
@pytest.mark.parametrize("seed", range(3))
def test_no_alarm_on_a_stationary_stream_of_200000(name, rate, seed):
    stream = errors([rate], 200_000, 10 + seed)
    assert concept_detector(name).update_many(stream) == []


@pytest.mark.parametrize("name", ["adwin", "page_hinkley"])
def test_no_alarm_on_stationary_losses(name):
    rng = np.random.default_rng(4)
    for losses in (rng.exponential(1.0, 200_000), rng.normal(5.0, 0.5, 200_000)):
        assert concept_detector(name).update_many(losses) == []


def test_rivers_page_hinkley_defaults_false_alarm_where_keels_do_not():
    stream = errors([0.1], 200_000, 5)
    assert len(concept_detector("page_hinkley", backend="river").update_many(stream)) > 5
    assert concept_detector("page_hinkley").update_many(stream) == []


# Settings that alarm often, so that resets mid-batch are exercised.
BUSY = [
    ("adwin", {"delta": 0.002}),
    ("adwin", {"clock": 7, "max_buckets": 3, "grace_period": 50}),
    ("ddm", {"warm_start": 30, "warning_threshold": 2.0, "drift_threshold": 3.0}),
    ("eddm", {}),
    ("page_hinkley", {"threshold": 20.0}),
    ("page_hinkley", {"threshold": 15.0, "alpha": 0.999, "mode": "up"}),
    ("page_hinkley", {"threshold": 15.0, "mode": "down"}),
]


def losses() -> np.ndarray:
    rng = np.random.default_rng(12)
    return np.concatenate([rng.exponential(scale, 15_000) for scale in (1.0, 1.6, 0.7, 1.2)])


@pytest.mark.parametrize(
    ("name", "params", "kind"),
    [(name, params, "errors") for name, params in BUSY]
    + [("adwin", {"delta": 0.002}, "losses"), ("page_hinkley", {"threshold": 20.0}, "losses")],
)
def test_batch_and_one_at_a_time_agree(name, params, kind):
    stream = errors([0.1, 0.3, 0.05, 0.2], 15_000, 6) if kind == "errors" else losses()
    batch = concept_detector(name, **params)
    batch.update_many(stream)
    single = concept_detector(name, **params)
    flags = [single.update(x) for x in stream.tolist()]
    assert batch.changes == single.changes
    assert len(batch.changes) >= 3
    assert [i for i, f in enumerate(flags) if f] == [c.index for c in single.changes]
    # and any split into batches, mixed with single values
    mixed = concept_detector(name, **params)
    rng = np.random.default_rng(7)
    position = 0
    while position < stream.size:
        step = int(rng.integers(1, 5_000))
        if step < 50:
            for x in stream[position : position + step]:
                mixed.update(float(x))
        else:
            mixed.update_many(stream[position : position + step])
        position += step
    assert mixed.changes == batch.changes
    assert mixed.n_seen == stream.size


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("ddm", {"warm_start": 30, "warning_threshold": 2.0, "drift_threshold": 3.0}),
        ("eddm", {"warm_start": 30, "alpha": 0.95, "beta": 0.9}),
    ],
)
def test_ddm_and_eddm_with_rivers_settings_raise_rivers_alarms(name, params):
    stream = errors([0.1, 0.25, 0.1], 40_000, 8)
    keel = concept_detector(name, **params).update_many(stream)
    river = concept_detector(name, backend="river").update_many(stream)
    assert keel == river and keel


def test_adwin_alarms_close_to_rivers():
    stream = errors([0.1, 0.3, 0.1], 50_000, 9)
    keel = concept_detector("adwin", delta=0.002).update_many(stream)
    river = concept_detector("adwin", backend="river").update_many(stream)
    assert len(keel) == len(river) == 2
    assert all(abs(a - b) <= 100 for a, b in zip(keel, river, strict=True))


def test_change_points_precede_alarms_and_warnings_mark_them():
    stream = errors([0.1, 0.4], 20_000, 11)
    for name in concept_detectors():
        detector = concept_detector(name)
        detector.update_many(stream)
        change = detector.changes[0]
        assert change.change_point <= change.index and change.delay >= 0
        assert change.to_dict() == {
            "detector": name,
            "index": change.index,
            "change_point": change.change_point,
        }


def test_classes_and_names():
    assert concept_detectors() == ["adwin", "ddm", "eddm", "page_hinkley"]
    kinds = [ADWIN, DDM, EDDM, PageHinkley]
    for name, kind in zip(concept_detectors(), kinds, strict=True):
        detector = concept_detector(name)
        assert isinstance(detector, kind) and isinstance(detector, ConceptDetector)
        assert detector.name == name
    assert concept_detector("adwin", backend="river").update(0.0) is False


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: concept_detector("cusum"), "The 'detector' setting of monitor.concept must"),
        (lambda: concept_detector("adwin", backend="spark"), "'keel' or 'river'. Got 'spark'"),
        (
            lambda: ADWIN(delta=2),
            "The 'delta' setting of monitor.concept.adwin must be a "
            "number between 0 and 1 (exclusive). Got 2 instead.",
        ),
        (lambda: ADWIN(clock=0), "'clock' setting of monitor.concept.adwin must be an integer"),
        (lambda: DDM(drift_threshold=1.0), "must be a number >= warning_threshold. Got 1.0"),
        (lambda: EDDM(beta=0.99), "'beta' setting of monitor.concept.eddm"),
        (lambda: PageHinkley(mode="sideways"), "must be 'up', 'down' or 'both'. Got 'sideways'"),
        (lambda: PageHinkley(threshold=float("nan")), "'threshold' setting"),
        (lambda: concept_detector("adwin", window=3), "monitor.concept.adwin: "),
    ],
)
def test_bad_settings_say_what_is_allowed(call, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_bad_values_are_refused_with_their_position():
    with pytest.raises(DataError, match=r"ddm detector takes 0 \(right\) or 1 \(wrong\)"):
        DDM().update_many([0.0, 1.0, 0.5])
    with pytest.raises(DataError, match="at index 2"):
        ADWIN().update_many([0.0, 1.0, float("nan")])
    with pytest.raises(DataError, match="finite numbers"):
        PageHinkley().update(float("inf"))
    with pytest.raises(DataError, match="1-D"):
        ADWIN().update_many(np.zeros((2, 2)))
    detector = ADWIN()
    assert detector.update_many([]) == [] and detector.update_many(x for x in (0.0, 1.0)) == []
    assert detector.n_seen == 2 and detector.width == 2
