"""Feature histories: the in-memory one and the one in keel's store (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import doctest
import math
import pickle
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import keel.features._history as history_module
from keel.errors import FeatureError
from keel.features._history import HistoryLayout, HistoryStore, MemoryHistory, StoreHistory
from keel.features._lags import LagFeatures
from keel.store import SQLStore

LAYOUT = HistoryLayout(by="id", time="t", columns=("spend", "visits"))
T0 = pd.Timestamp("2024-01-01")


def rows(ids: list, hours: list, spend: list, visits: list | None = None) -> pd.DataFrame:
    times = [None if h is None else T0 + pd.Timedelta(hours=h) for h in hours]
    visits = visits if visits is not None else [float(i) for i in range(len(ids))]
    return pd.DataFrame({"id": ids, "t": times, "spend": spend, "visits": visits})


def seconds(hours: float) -> float:
    return (T0 + pd.Timedelta(hours=hours)).value / 1e9


@pytest.fixture(params=["memory", "store"])
def history(request: pytest.FixtureRequest, tmp_path: Path) -> HistoryStore:
    """Each kind of history, bound to LAYOUT (the store kind on SQLite)."""
    if request.param == "memory":
        found: HistoryStore = MemoryHistory()
    else:
        opened = SQLStore(f"sqlite:///{tmp_path / 'keel.db'}")
        opened.open()
        found = StoreHistory(opened, "churn")
    found.bind(LAYOUT)
    return found


def test_module_docstring_runs() -> None:
    assert doctest.testmod(history_module).failed == 0


# -- the contract, on each kind ---------------------------------------------------------


def test_recent_gives_the_newest_rows_newest_last(history: HistoryStore) -> None:
    history.append(rows(["a", "b", "a", "a"], [1, 1, 2, 3], [1.0, 9.0, 2.0, None]))
    newest = [(seconds(2), (2.0, 2.0)), (seconds(3), (math.nan, 3.0))]
    assert _same(history.recent("a", 2), newest)
    assert _same(history.recent("a", 10), [(seconds(1), (1.0, 0.0)), *newest])
    assert history.recent("unknown", 3) == []
    assert history.recent("a", 0) == []


def test_appends_accumulate_and_replace_drops_what_was_kept(history: HistoryStore) -> None:
    history.append(rows(["a"], [1], [1.0]))
    history.append(rows(["a"], [2], [2.0]))
    assert [r[1][0] for r in history.recent("a", 5)] == [1.0, 2.0]
    history.append(rows(["b"], [3], [3.0]), replace=True)
    assert history.recent("a", 5) == []
    assert [r[1][0] for r in history.recent("b", 5)] == [3.0]


def test_rows_without_entity_or_time_are_not_kept(history: HistoryStore) -> None:
    history.append(rows(["a", None, "a"], [1, 2, None], [1.0, 2.0, 3.0]))
    assert [r[1][0] for r in history.recent("a", 5)] == [1.0]


def test_entity_keys_match_across_dtypes(history: HistoryStore) -> None:
    frame = pd.DataFrame({"id": [7, 8], "t": [T0, T0], "spend": [1.0, 2.0], "visits": [0, 0]})
    history.append(frame)
    assert history.recent(7.0, 1)[0][1] == (1.0, 0.0)
    assert history.recent(np.int64(8), 1)[0][1] == (2.0, 0.0)


def test_frame_holds_the_newest_n_rows_of_each_entity(history: HistoryStore) -> None:
    history.append(rows(["a", "b", "a", "a", "c"], [1, 1, 2, 3, 4], [1.0, 5.0, 2.0, 3.0, np.inf]))
    frame = history.frame(["a", "b", "zz"], 2)
    assert list(frame.columns) == ["id", "t", "spend", "visits"]
    assert frame["id"].tolist() == ["a", "a", "b"]
    assert frame["t"].tolist() == [seconds(2), seconds(3), seconds(1)]
    assert frame["spend"].tolist() == [2.0, 3.0, 5.0]
    assert np.isnan(history.frame(["c"])["spend"]).all()  # inf is kept as missing
    assert len(history.frame([])) == 0 and list(history.frame([]).columns) == list(frame.columns)


def test_an_unbound_history_says_to_fit_first() -> None:
    with pytest.raises(FeatureError, match="no layout yet"):
        MemoryHistory().append(rows(["a"], [1], [1.0]))


def test_append_names_a_missing_column(history: HistoryStore) -> None:
    with pytest.raises(FeatureError, match=r"lack \['visits'\]") as info:
        history.append(rows(["a"], [1], [1.0]).drop(columns="visits"))
    assert info.value.field == "visits"


def test_a_history_without_time_keeps_append_order() -> None:
    history = MemoryHistory()
    history.bind(HistoryLayout("id", None, ("x",)))
    history.append(pd.DataFrame({"id": [1, 1], "x": [5.0, 6.0]}))
    assert _same(history.recent(1, 5), [(math.nan, (5.0,)), (math.nan, (6.0,))])
    assert list(history.frame([1]).columns) == ["id", "x"]


# -- MemoryHistory ------------------------------------------------------------------------


def test_memory_history_keeps_maxlen_rows_and_pickles() -> None:
    history = MemoryHistory(maxlen=2)
    history.bind(LAYOUT)
    history.append(rows(["a"] * 5, [1, 2, 3, 4, 5], [1.0, 2.0, 3.0, 4.0, 5.0]))
    assert [r[1][0] for r in history.recent("a", 10)] == [4.0, 5.0]
    loaded = pickle.loads(pickle.dumps(history))
    assert loaded.recent("a", 10) == history.recent("a", 10)
    loaded.append(rows(["a"], [6], [6.0]))  # its lock came back with it
    assert [r[1][0] for r in loaded.recent("a", 10)] == [5.0, 6.0]
    assert repr(history) == "MemoryHistory(maxlen=2)"


def test_memory_history_is_safe_across_threads() -> None:
    history = MemoryHistory(maxlen=50)
    history.bind(LAYOUT)
    errors: list[BaseException] = []

    def write(start: int) -> None:
        for h in range(start, start + 200):
            history.append(rows(["a"], [h], [float(h)]))

    def read() -> None:
        try:
            for _ in range(400):
                found = history.recent("a", 50)
                assert len(found) <= 50
                history.frame(["a"], 10)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i * 1000,)) for i in range(3)]
    threads += [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(history.recent("a", 100)) == 50


# -- StoreHistory ---------------------------------------------------------------------------


def test_store_history_survives_reopening_the_store(store: SQLStore) -> None:
    history = StoreHistory(store, "churn")
    history.bind(LAYOUT)
    history.append(rows(["a", "a", 3], [1, 2, 1], [1.0, None, 7.0]))
    store.close()
    reopened = SQLStore(store.url)
    reopened.open()
    again = StoreHistory(reopened, "churn")
    again.bind(LAYOUT)
    assert _same(again.recent("a", 5), [(seconds(1), (1.0, 0.0)), (seconds(2), (math.nan, 1.0))])
    assert again.recent(3, 5)[0][1] == (7.0, 2.0)
    assert sorted(again.frame(["a", 3])["id"].tolist(), key=str) == [3, "a", "a"]  # as given
    reopened.close()


def test_store_histories_are_separate_by_name(store: SQLStore) -> None:
    first, second = StoreHistory(store, "one"), StoreHistory(store, "two")
    for history in (first, second):
        history.bind(LAYOUT)
    first.append(rows(["a"], [1], [1.0]))
    second.append(rows(["a"], [1], [2.0]))
    second.append(rows(["b"], [1], [3.0]), replace=True)
    assert first.recent("a", 5)[0][1] == (1.0, 0.0)
    assert second.recent("a", 5) == [] and second.recent("b", 5)[0][1] == (3.0, 0.0)


def test_store_history_frame_reads_many_entities_in_chunks(store: SQLStore) -> None:
    history = StoreHistory(store, "many")
    history.bind(HistoryLayout("id", None, ("x",)))
    n = 1200  # more entities than one IN list holds
    history.append(pd.DataFrame({"id": np.repeat(np.arange(n), 3), "x": np.arange(3 * n) * 1.0}))
    frame = history.frame(list(range(n)), 2)
    assert len(frame) == 2 * n
    assert frame.groupby("id")["x"].apply(list)[5] == [16.0, 17.0]


def test_a_lag_step_on_a_store_history_serves_like_one_in_memory(store: SQLStore) -> None:
    train = rows(["a", "b", "a", "b", "a"], [1, 2, 3, 4, 5], [1.0, 2.0, 4.0, 8.0, 16.0])
    test = rows(["a", "b", "c"], [6, 6, 6], [0.0, 0.0, 0.0])
    settings = dict(by="id", time="t", columns=["spend"], lags=[1, 2], windows=["3h"], ewm=[0.5])
    in_memory = LagFeatures(**settings).fit(train)
    in_store = LagFeatures(**settings, history=StoreHistory(store, "lags")).fit(train)
    np.testing.assert_array_equal(in_store.transform(test), in_memory.transform(test))
    record = {"id": "a", "t": (T0 + pd.Timedelta(hours=6)).to_pydatetime()}
    assert in_store.record_function()(record) == in_memory.record_function()(record)


def test_store_history_is_a_handle_copies_share_and_pickles_reconnect(store: SQLStore) -> None:
    history = StoreHistory(store, "shared")
    step = LagFeatures(by="id", columns=["spend"], lags=[1], history=history)
    assert clone(step).history is history and copy.deepcopy(history) is history
    step.fit(pd.DataFrame({"id": [1, 1], "spend": [1.0, 2.0]}))
    loaded = pickle.loads(pickle.dumps(step))
    assert loaded.history_ is not history and loaded.history_.store.url == store.url
    assert loaded.record_function()({"id": 1}) == [2.0]
    loaded.history_.store.close()
    assert repr(history) == "StoreHistory(name='shared')"


def test_store_history_refuses_long_keys_and_foreign_rows(store: SQLStore) -> None:
    history = StoreHistory(store, "keys")
    history.bind(LAYOUT)
    with pytest.raises(FeatureError, match="at most 250 characters"):
        history.append(rows(["x" * 300], [1], [1.0]))
    history.append(rows(["a"], [1], [1.0]))
    other = StoreHistory(store, "keys")
    other.bind(HistoryLayout("id", "t", ("spend",)))
    with pytest.raises(FeatureError, match="filled by another step"):
        other.recent("a", 1)


def _same(found: list, expected: list) -> bool:
    """Equal, with NaN equal to NaN."""
    return len(found) == len(expected) and all(
        _eq(a[0], b[0]) and len(a[1]) == len(b[1]) and all(map(_eq, a[1], b[1]))
        for a, b in zip(found, expected, strict=True)
    )


def _eq(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)
