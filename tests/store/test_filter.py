"""The run-search language: parsing, errors, and the SQL it compiles to (on SQLite)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from keel.errors import FilterError
from keel.store import _schema as schema
from keel.store._filter import (
    And,
    Comparison,
    Expr,
    Not,
    Or,
    OrderKey,
    parse_filter,
    parse_order_by,
    tokenize,
)
from keel.store._filter_sql import apply_order, compile_filter

NAN = math.nan
INF = math.inf


def cmp(entity: str, key: str, op: str, value: Any, position: int = 0) -> Comparison:
    return Comparison(entity, key, op, value, position)


def shape(expr: Expr | None) -> Any:
    """The tree without positions, to compare structure."""
    if isinstance(expr, Comparison):
        return (expr.entity, expr.key, expr.op, expr.value)
    if isinstance(expr, And | Or):
        return (type(expr).__name__, *(shape(item) for item in expr.items))
    if isinstance(expr, Not):
        return ("Not", shape(expr.item))
    return expr


A = ("metrics", "a", ">", 1.0)
B = ("metrics", "b", ">", 2.0)
C = ("metrics", "c", ">", 3.0)


# --- parser: structure ----------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t"])
def test_empty_filter_is_no_filter(text: str | None) -> None:
    assert parse_filter(text) is None
    assert compile_filter(parse_filter(text)) is None


def test_comparison_keeps_its_position() -> None:
    assert parse_filter("  metrics.auc >= 0.5") == cmp("metrics", "auc", ">=", 0.5, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.a > 1 or metrics.b > 2 and metrics.c > 3", ("Or", A, ("And", B, C))),
        ("metrics.a > 1 and metrics.b > 2 or metrics.c > 3", ("Or", ("And", A, B), C)),
        ("(metrics.a > 1 or metrics.b > 2) and metrics.c > 3", ("And", ("Or", A, B), C)),
        ("not metrics.a > 1 and metrics.b > 2", ("And", ("Not", A), B)),
        ("not (metrics.a > 1 and metrics.b > 2)", ("Not", ("And", A, B))),
        ("not not metrics.a > 1", ("Not", ("Not", A))),
        ("metrics.a > 1 and metrics.b > 2 and metrics.c > 3", ("And", A, B, C)),
        ("metrics.a > 1 OR metrics.b > 2 Or metrics.c > 3", ("Or", A, B, C)),
        ("((metrics.a > 1))", A),
        ("NOT metrics.a>1 AND metrics.b>2", ("And", ("Not", A), B)),
    ],
)
def test_precedence(text: str, expected: Any) -> None:
    assert shape(parse_filter(text)) == expected


@pytest.mark.parametrize(
    ("text", "entity", "key"),
    [
        ("metrics.auc", "metrics", "auc"),
        ("metric.auc", "metrics", "auc"),
        ("METRICS.auc", "metrics", "auc"),
        ("params.lr", "params", "lr"),
        ("param.lr", "params", "lr"),
        ("tags.team", "tags", "team"),
        ("tag.team", "tags", "team"),
        ("metrics.val.loss", "metrics", "val.loss"),
        ("metrics.val_loss/epoch-1:x", "metrics", "val_loss/epoch-1:x"),
        ("metrics.1st", "metrics", "1st"),
        ("metrics.Précision", "metrics", "Précision"),
        ("metrics.`val loss`", "metrics", "val loss"),
        ("metrics.`a.b c-d`", "metrics", "a.b c-d"),
        ("metrics.`it``s`", "metrics", "it`s"),
    ],
)
def test_entities_and_keys(text: str, entity: str, key: str) -> None:
    value = 1.0 if entity == "metrics" else "1"
    literal = "1" if entity == "metrics" else "'1'"
    assert shape(parse_filter(f"{text} = {literal}")) == (entity, key, "=", value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("status", "status"),
        ("Status", "status"),
        ("attributes.status", "status"),
        ("attribute.status", "status"),
        ("attr.status", "status"),
        ("run_name", "name"),
        ("attr.run_name", "name"),
        ("attributes.`name`", "name"),
        ("name", "name"),
        ("run_id", "run_id"),
        ("user", "user"),
        ("host", "host"),
        ("parent_run_id", "parent_run_id"),
        ("git_commit", "git_commit"),
    ],
)
def test_string_attributes(text: str, key: str) -> None:
    assert shape(parse_filter(f"{text} = 'x'")) == ("attributes", key, "=", "x")


@pytest.mark.parametrize("key", ["start_time", "end_time", "experiment_id"])
def test_numeric_attributes(key: str) -> None:
    assert shape(parse_filter(f"{key} >= 3")) == ("attributes", key, ">=", 3.0)


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("3", 3.0),
        ("-3", -3.0),
        ("+3", 3.0),
        ("0.25", 0.25),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e-3", 0.001),
        ("-2.5E+2", -250.0),
        ("inf", INF),
        ("Infinity", INF),
        ("-inf", -INF),
        ("+INF", INF),
    ],
)
def test_numbers(literal: str, value: float) -> None:
    assert shape(parse_filter(f"metrics.x = {literal}")) == ("metrics", "x", "=", value)


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("'abc'", "abc"),
        ('"abc"', "abc"),
        ("''", ""),
        (r"'it\'s'", "it's"),
        ("'it''s'", "it's"),
        ('"say ""hi"""', 'say "hi"'),
        (r'"say \"hi\""', 'say "hi"'),
        ('"it\'s"', "it's"),
        (r"'back\\slash'", "back\\slash"),
        ("'a and b or not c = 1'", "a and b or not c = 1"),
        ("'ünïcödé ✓'", "ünïcödé ✓"),
    ],
)
def test_strings(literal: str, value: str) -> None:
    assert shape(parse_filter(f"params.p = {literal}")) == ("params", "p", "=", value)


@pytest.mark.parametrize(
    ("op", "normal"),
    [
        ("=", "="),
        ("==", "="),
        ("!=", "!="),
        ("<>", "!="),
        ("<", "<"),
        ("<=", "<="),
        (">", ">"),
        (">=", ">="),
        ("LIKE", "LIKE"),
        ("like", "LIKE"),
        ("ILIKE", "ILIKE"),
        ("NOT LIKE", "NOT LIKE"),
        ("not ilike", "NOT ILIKE"),
    ],
)
def test_operators(op: str, normal: str) -> None:
    assert shape(parse_filter(f"tags.t {op} 'v'")) == ("tags", "t", normal, "v")


def test_operators_need_no_spaces() -> None:
    assert shape(parse_filter("metrics.x>=-1 and(metrics.y<2)")) == (
        "And",
        ("metrics", "x", ">=", -1.0),
        ("metrics", "y", "<", 2.0),
    )


def test_in_lists_and_is_null() -> None:
    assert shape(parse_filter("params.d IN ('3', \"5\")")) == ("params", "d", "IN", ("3", "5"))
    assert shape(parse_filter("metrics.x not in (1,-inf)")) == (
        "metrics",
        "x",
        "NOT IN",
        (1.0, -INF),
    )
    assert shape(parse_filter("metrics.x IS NULL")) == ("metrics", "x", "IS NULL", None)
    assert shape(parse_filter("end_time is not null")) == (
        "attributes",
        "end_time",
        "IS NOT NULL",
        None,
    )


def test_tokens_end_with_eof_at_the_end() -> None:
    tokens = tokenize("metrics.a >= 'x'")
    assert [t.kind for t in tokens] == ["ident", "op", "string", "eof"]
    assert [t.position for t in tokens] == [0, 10, 13, 16]


# --- parser: errors, each pointing at the offending position ------------------------------

ERRORS = [
    # (filter, position, a piece of the message)
    (
        "metrics.auc lightgbm",
        12,
        "Expected a comparison operator (=, !=, <, <=, >, >=, IN, IS) after 'metrics.auc', "
        "got 'lightgbm' at position 12.",
    ),
    (
        "params.model lightgbm",
        13,
        "Expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS) after "
        "'params.model', got 'lightgbm' at position 13.",
    ),
    ("metrics.val loss > 1", 12, "Backquote a key that holds spaces: metrics.`val loss`"),
    ("metrics.auc", 11, "got the end of the filter at position 11"),
    ("metrics.auc >", 13, "Expected a number after 'metrics.auc >', got the end of the filter"),
    ("params.depth =", 14, "Expected a quoted string after 'params.depth ='"),
    ("params.depth = 3", 15, "Params are strings: write params.depth = '3'"),
    ("tags.n = 1.5", 9, "Tags are strings: write tags.n = '1.5'"),
    ("status = FINISHED", 9, "Expected a quoted string after 'status =', got 'FINISHED'"),
    ("metrics.auc = '0.9'", 14, "got the string '0.9' at position 14. Metrics are numbers"),
    ("metrics.auc = '0.9'", 14, "write 0.9 without quotes"),
    ("start_time > 'yesterday'", 13, "start_time is a number"),
    ("metrics.auc = nan", 14, "Expected a number other than nan"),
    ("metrics.auc IN (1, NaN)", 19, "other than nan"),
    ("metrics.auc = +nan", 14, "other than nan"),
    ("foo.bar = 1", 0, "Expected an entity (metrics, params, tags or attributes) before the dot"),
    ("metrics.a > 1 and bar.baz = 1", 18, "got 'bar' at position 18"),
    ("nope = 'x'", 0, "Expected an attribute (run_id, name (or run_name), status, start_time"),
    ("attr.nope = 'x'", 5, "got 'nope' at position 5"),
    ("attributes.`no pe` = 'x'", 11, "got '`no pe`' at position 11"),
    ("metrics = 1", 0, "Write metrics.<key> to name one."),
    ("metrics. = 1", 9, "Expected a key after 'metrics.', got '='"),
    ("metrics.", 8, "Expected a key after 'metrics.', got the end of the filter"),
    ("'abc' = 1", 0, "Expected a comparison such as metrics.auc > 0.9, got the string 'abc'"),
    ("= 1", 0, "Expected a comparison such as metrics.auc > 0.9, got '='"),
    ("metrics.a > 1 and", 17, "Expected a comparison such as metrics.auc > 0.9, got the end"),
    ("metrics.a > 1 and or metrics.b > 1", 18, "got 'or' at position 18"),
    ("not", 3, "got the end of the filter at position 3"),
    ("(metrics.a > 1", 14, "Expected ')' to close the '(' at position 0, got the end"),
    ("((metrics.a > 1) or (metrics.b > 1)", 35, "Expected ')' to close the '(' at position 0"),
    ("(metrics.a > 1 metrics.b", 15, "Expected ')' to close the '(' at position 0"),
    ("metrics.a > 1)", 13, "got ')' at position 13. This ')' has no matching '('."),
    ("()", 1, "Expected a comparison such as metrics.auc > 0.9, got ')'"),
    ("metrics.a > 1 metrics.b > 2", 14, "Expected AND, OR or the end of the filter"),
    ("metrics.a > 1 2", 14, "got '2' at position 14"),
    ("params.a = 'x' 'y'", 15, "got the string 'y' at position 15"),
    ("params.a = 'x", 11, "Expected a closing ' for the string at position 11"),
    ('params.a = "x', 11, 'Expected a closing " for the string at position 11'),
    (r"params.a = 'x\'", 11, "Expected a closing '"),
    ("metrics.`val loss > 1", 8, "Expected a closing ` for the backquoted key at position 8"),
    ("metrics.a ! 1", 10, "got '!' at position 10"),
    ("metrics.a > 1 & metrics.b > 1", 14, "got '&' at position 14"),
    ("metrics.a > 1;", 13, "got ';' at position 13"),
    ("metrics.a > 1e", 12, "Expected a number, got '1e' at position 12."),
    ("metrics.a > 1.2.3", 12, "Expected a number, got '1.2.3'"),
    ("metrics.a > 3abc", 12, "got '3abc'"),
    ("metrics.a > -x", 12, "got '-'"),
    ("params.a IN ()", 13, "Expected a value in the IN list of params.a, got ')'"),
    ("params.a IN ()", 13, "An IN list needs at least one value."),
    ("params.a IN ('x',)", 17, "Expected a quoted string in the IN list of params.a, got ')'"),
    ("params.a IN ('x' 'y')", 17, "Expected ',' or ')' in the IN list of params.a"),
    ("params.a IN ('x'", 16, "Expected ',' or ')' in the IN list of params.a, got the end"),
    ("params.a IN 'x'", 12, "Expected '(' to open the IN list of params.a"),
    ("metrics.a IN ('x')", 14, "Expected a number in the IN list of metrics.a"),
    ("params.a IN (1)", 13, "Params are strings: write params.a = '1'"),
    ("metrics.a LIKE 'x%'", 10, "LIKE and ILIKE match strings, and metrics.a is a number."),
    ("start_time ILIKE 'x%'", 11, "start_time is a number"),
    ("metrics.a NOT LIKE 'x%'", 14, "Expected IN after 'metrics.a NOT', got 'LIKE'"),
    ("params.a NOT = 'x'", 13, "Expected LIKE, ILIKE or IN after 'params.a NOT', got '='"),
    ("params.a LIKE 3", 14, "Expected a quoted string after 'params.a LIKE'"),
    (r"params.a LIKE 'x\\'", 14, "Expected a pattern that does not end in an escape"),
    ("metrics.a IS 3", 13, "Expected NULL or NOT NULL after 'IS', got '3'"),
    ("metrics.a IS NOT", 16, "Expected NULL, got the end of the filter"),
    ("metrics.a IS NOT 'x'", 17, "Expected NULL, got the string 'x'"),
    ("metrics.a = = 1", 12, "Expected a number after 'metrics.a =', got '='"),
    ("params.a == and", 12, "got 'and' at position 12"),
]


@pytest.mark.parametrize(("text", "position", "message"), ERRORS)
def test_errors_point_at_the_problem(text: str, position: int, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    assert caught.value.position == position
    assert message in str(caught.value)
    assert caught.value.filter_string == text


def test_error_message_shows_the_filter_and_a_caret() -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter("metrics.auc lightgbm")
    lines = str(caught.value).splitlines()
    assert lines[1:] == ["  metrics.auc lightgbm", "              ^"]


# --- order by -----------------------------------------------------------------------------


def test_parse_order_by() -> None:
    items = [
        "metrics.auc desc",
        "params.model",
        "start_time asc",
        "attributes.name DESC",
        "metrics.`val loss` Desc",
        "  tag.team  ",
        "run_name",
    ]
    assert parse_order_by(items) == [
        OrderKey("metrics", "auc", descending=True),
        OrderKey("params", "model"),
        OrderKey("attributes", "start_time"),
        OrderKey("attributes", "name", descending=True),
        OrderKey("metrics", "val loss", descending=True),
        OrderKey("tags", "team"),
        OrderKey("attributes", "name"),
    ]
    assert parse_order_by(None) == []
    assert parse_order_by([]) == []


@pytest.mark.parametrize(
    ("item", "position", "message"),
    [
        ("metrics.auc down", 12, "Expected ASC or DESC after 'metrics.auc', got 'down'"),
        ("metrics.auc desc asc", 17, "Expected ASC or DESC after 'metrics.auc', got 'asc'"),
        ("foo.auc", 0, "Expected an entity (metrics, params, tags or attributes)"),
        ("nope desc", 0, "Expected an attribute"),
        (
            "",
            0,
            "Expected a column to order by such as 'metrics.auc DESC', got the end of the term",
        ),
        ("desc", 0, "Expected a column to order by"),
        ("metrics.", 8, "Expected a key after 'metrics.'"),
        ("metrics.`a", 8, "Expected a closing `"),
    ],
)
def test_order_by_errors(item: str, position: int, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_order_by(["start_time", item])
    assert caught.value.position == position
    assert caught.value.filter_string == item
    assert message in str(caught.value)


# --- compiled SQL on SQLite -----------------------------------------------------------------

RUNS: list[dict[str, Any]] = [
    # run_id, experiment, name, status, start, end, user, parent, metrics, params, tags
    {
        "run": ("r1", 1, "lgbm-a", "FINISHED", 100.0, 200.0, "alice", None),
        "metrics": {"auc": 0.9, "loss": 0.5, "val loss": 0.25},
        "params": {"model": "lightgbm", "depth": "3"},
        "tags": {"team": "vision"},
    },
    {
        "run": ("r2", 1, "lgbm-b", "FAILED", 200.0, None, "bob", None),
        "metrics": {"auc": 0.7, "loss": NAN},
        "params": {"model": "LightGBM", "depth": "10"},
        "tags": {"team": "nlp", "note": "it's"},
    },
    {
        "run": ("r3", 1, "xgb_1", "RUNNING", 300.0, None, None, "r1"),
        "metrics": {"auc": INF, "loss": 0.5},
        "params": {"model": "xgboost"},
        "tags": {},
    },
    {
        "run": ("r4", 2, "odd%name", "FINISHED", 400.0, 500.0, "alice", None),
        "metrics": {"auc": -INF},
        "params": {"model": "it's"},
        "tags": {"team": "Vision"},
    },
    {
        "run": ("r5", 1, "bare", "FINISHED", 500.0, 600.0, "carol", None),
        "metrics": {},
        "params": {},
        "tags": {},
    },
]
RUN_COLUMNS = ("run_id", "experiment_id", "name", "status", "start_time", "end_time", "user")


def insert_runs(conn: sa.Connection, runs: list[dict[str, Any]]) -> None:
    """Insert runs with their latest metrics, params and tags, straight through Core."""
    run_rows, metric_rows, param_rows, tag_rows = [], [], [], []
    for spec in runs:
        run_id = spec["run"][0]
        row = dict(zip((*RUN_COLUMNS, "parent_run_id"), spec["run"], strict=True))
        run_rows.append(row | {"lifecycle": "active"})
        for key, value in spec["metrics"].items():
            nan = isinstance(value, float) and math.isnan(value)
            metric_rows.append(
                {"run_id": run_id, "key": key, "step": 0, "timestamp": 0.0, "count": 1}
                | {"value": None if nan else value, "is_nan": nan}
            )
        param_rows += [{"run_id": run_id, "key": k, "value": v} for k, v in spec["params"].items()]
        tag_rows += [{"run_id": run_id, "key": k, "value": v} for k, v in spec["tags"].items()]
    experiments = {row["experiment_id"] for row in run_rows}
    conn.execute(
        sa.insert(schema.experiments),
        [{"experiment_id": e, "name": f"exp{e}", "created_at": 0.0} for e in experiments],
    )
    for table, rows in [
        (schema.runs, run_rows),
        (schema.latest_metrics, metric_rows),
        (schema.params, param_rows),
        (schema.tags, tag_rows),
    ]:
        if rows:
            conn.execute(sa.insert(table), rows)


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("sqlite://")
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        insert_runs(conn, RUNS)
    yield engine
    engine.dispose()


def search(engine: sa.Engine, text: str | None, order_by: list[str] | None = None) -> list[str]:
    """Run ids matching ``text``, in the requested order."""
    stmt = sa.select(schema.runs.c.run_id).where(schema.runs.c.lifecycle == "active")
    condition = compile_filter(parse_filter(text))
    if condition is not None:
        stmt = stmt.where(condition)
    stmt = apply_order(stmt, parse_order_by(order_by))
    with engine.connect() as conn:
        return list(conn.scalars(stmt))


MATCHES = [
    # metrics: the latest value; runs without the key never match a comparison
    ("metrics.auc > 0.8", {"r1", "r3"}),
    ("metrics.auc >= 0.9", {"r1", "r3"}),
    ("metrics.auc < 0.8", {"r2", "r4"}),
    ("metrics.auc <= 0.7", {"r2", "r4"}),
    ("metrics.auc = 0.9", {"r1"}),
    ("metrics.auc == 0.9", {"r1"}),
    ("metrics.auc != 0.9", {"r2", "r3", "r4"}),
    ("metrics.auc <> 0.9", {"r2", "r3", "r4"}),
    ("metrics.auc IN (0.9, 0.7)", {"r1", "r2"}),
    ("metrics.auc NOT IN (0.9, 0.7)", {"r3", "r4"}),
    ("metrics.auc IS NULL", {"r5"}),
    ("metrics.auc IS NOT NULL", {"r1", "r2", "r3", "r4"}),
    ("metric.auc > 0.8", {"r1", "r3"}),
    ("metrics.`val loss` < 0.3", {"r1"}),
    # infinities are ordinary values
    ("metrics.auc = inf", {"r3"}),
    ("metrics.auc = -inf", {"r4"}),
    ("metrics.auc > 1e308", {"r3"}),
    ("metrics.auc < inf", {"r1", "r2", "r4"}),
    ("metrics.auc > -inf", {"r1", "r2", "r3"}),
    ("metrics.auc IN (inf, -inf)", {"r3", "r4"}),
    # NaN (r2's loss) satisfies only != and NOT IN, and still counts as present
    ("metrics.loss > 0", {"r1", "r3"}),
    ("metrics.loss < 1", {"r1", "r3"}),
    ("metrics.loss <= inf", {"r1", "r3"}),
    ("metrics.loss >= -inf", {"r1", "r3"}),
    ("metrics.loss = 0.5", {"r1", "r3"}),
    ("metrics.loss IN (0.5)", {"r1", "r3"}),
    ("metrics.loss != 0.5", {"r2"}),
    ("metrics.loss != 1", {"r1", "r2", "r3"}),
    ("metrics.loss NOT IN (0.5)", {"r2"}),
    ("metrics.loss IS NOT NULL", {"r1", "r2", "r3"}),
    ("metrics.loss IS NULL", {"r4", "r5"}),
    ("not metrics.loss > 0", {"r2", "r4", "r5"}),
    # params: strings, compared as strings
    ("params.model = 'lightgbm'", {"r1"}),
    ("params.model != 'lightgbm'", {"r2", "r3", "r4"}),
    ("params.model = 'it''s'", {"r4"}),
    ('params.model = "it\'s"', {"r4"}),
    ("params.model LIKE 'light%'", {"r1"}),
    ("params.model LIKE '%GBM'", {"r2"}),
    ("params.model LIKE '_gboost'", {"r3"}),
    ("params.model NOT LIKE 'light%'", {"r2", "r3", "r4"}),
    ("params.model ILIKE 'LIGHT%'", {"r1", "r2"}),
    ("params.model NOT ILIKE 'light%'", {"r3", "r4"}),
    ("params.model IN ('xgboost', 'lightgbm')", {"r1", "r3"}),
    ("params.model NOT IN ('xgboost', 'lightgbm')", {"r2", "r4"}),
    ("params.depth > '2'", {"r1"}),
    ("params.depth < '2'", {"r2"}),
    ("params.depth >= '10'", {"r1", "r2"}),
    ("params.depth <= '3'", {"r1", "r2"}),
    ("params.depth IS NULL", {"r3", "r4", "r5"}),
    ("params.depth IS NOT NULL", {"r1", "r2"}),
    ("not params.depth = '3'", {"r2", "r3", "r4", "r5"}),
    ("param.depth = '3'", {"r1"}),
    # tags
    ("tags.team = 'vision'", {"r1"}),
    ("tags.team != 'vision'", {"r2", "r4"}),
    ("tags.team ILIKE 'vision'", {"r1", "r4"}),
    ("tags.team LIKE 'V%'", {"r4"}),
    ("tags.team NOT LIKE 'V%'", {"r1", "r2"}),
    ("tags.team IN ('nlp')", {"r2"}),
    ("tags.team NOT IN ('nlp')", {"r1", "r4"}),
    ("tags.team > 'o'", {"r1"}),
    ("tags.note = 'it\\'s'", {"r2"}),
    ("tags.team IS NULL", {"r3", "r5"}),
    ("tag.team IS NOT NULL", {"r1", "r2", "r4"}),
    # string attributes
    ("status = 'FINISHED'", {"r1", "r4", "r5"}),
    ("attributes.status != 'FINISHED'", {"r2", "r3"}),
    ("status IN ('FAILED', 'RUNNING')", {"r2", "r3"}),
    ("status NOT IN ('FAILED', 'RUNNING')", {"r1", "r4", "r5"}),
    ("name LIKE 'lgbm%'", {"r1", "r2"}),
    ("name LIKE 'LGBM%'", set()),
    ("run_name ILIKE 'LGBM%'", {"r1", "r2"}),
    ("name NOT LIKE 'lgbm%'", {"r3", "r4", "r5"}),
    ("name LIKE 'xgb\\\\_%'", {"r3"}),
    ("name LIKE 'odd\\\\%%'", {"r4"}),
    ("name ILIKE 'ODD\\\\%%'", {"r4"}),
    ("name LIKE 'lgbm\\\\_%'", set()),
    ("name > 'm'", {"r4", "r3"}),
    ("run_id = 'r3'", {"r3"}),
    ("attr.run_id <= 'r2'", {"r1", "r2"}),
    ("user = 'alice'", {"r1", "r4"}),
    ("user != 'alice'", {"r2", "r5"}),
    ("not user = 'alice'", {"r2", "r3", "r5"}),
    ("user IS NULL", {"r3"}),
    ("user IS NOT NULL", {"r1", "r2", "r4", "r5"}),
    ("parent_run_id = 'r1'", {"r3"}),
    ("host IS NULL", {"r1", "r2", "r3", "r4", "r5"}),
    ("git_commit = 'abc'", set()),
    # numeric attributes
    ("start_time >= 300", {"r3", "r4", "r5"}),
    ("start_time < 300", {"r1", "r2"}),
    ("attributes.start_time = 100", {"r1"}),
    ("start_time IN (100, 500)", {"r1", "r5"}),
    ("end_time IS NULL", {"r2", "r3"}),
    ("end_time > 450", {"r4", "r5"}),
    ("not end_time > 450", {"r1", "r2", "r3"}),
    ("end_time != 200", {"r4", "r5"}),
    ("experiment_id = 2", {"r4"}),
    ("experiment_id != 2", {"r1", "r2", "r3", "r5"}),
    ("experiment_id IN (2, 3)", {"r4"}),
    ("experiment_id < 1.5", {"r1", "r2", "r3", "r5"}),
    # combinations
    ("metrics.auc > 0.8 and params.model = 'lightgbm'", {"r1"}),
    ("metrics.auc > 0.8 or params.model = 'it''s'", {"r1", "r3", "r4"}),
    ("not (metrics.auc > 0.8 or tags.team IS NOT NULL)", {"r5"}),
    ("(status = 'FINISHED' or status = 'FAILED') and not metrics.auc IS NULL", {"r1", "r2", "r4"}),
    ("metrics.auc IS NULL or metrics.auc < 0", {"r4", "r5"}),
    ("not not tags.team = 'nlp'", {"r2"}),
    ("", {"r1", "r2", "r3", "r4", "r5"}),
    (None, {"r1", "r2", "r3", "r4", "r5"}),
]


@pytest.mark.parametrize(("text", "expected"), MATCHES)
def test_filter_matches(engine: sa.Engine, text: str | None, expected: set[str]) -> None:
    assert set(search(engine, text)) == expected


def test_statement_cache_does_not_mix_up_like_patterns(engine: sa.Engine) -> None:
    """The same SQL shape compiled once serves different patterns (SQLAlchemy caching)."""
    assert search(engine, "params.model LIKE 'light%'") == ["r1"]
    assert search(engine, "params.model LIKE 'xg%'") == ["r3"]
    assert search(engine, "params.model LIKE 'light%'") == ["r1"]


def test_default_order_is_newest_first(engine: sa.Engine) -> None:
    assert search(engine, None) == ["r5", "r4", "r3", "r2", "r1"]


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        # missing (r5) and NaN last in both directions, ties newest first
        (["metrics.auc desc"], ["r3", "r1", "r2", "r4", "r5"]),
        (["metrics.auc"], ["r4", "r2", "r1", "r3", "r5"]),
        (["metrics.auc ASC"], ["r4", "r2", "r1", "r3", "r5"]),
        (["metrics.loss desc"], ["r3", "r1", "r5", "r4", "r2"]),
        (["metrics.loss asc"], ["r3", "r1", "r5", "r4", "r2"]),
        (["metrics.nothing desc"], ["r5", "r4", "r3", "r2", "r1"]),
        (["params.model"], ["r2", "r4", "r1", "r3", "r5"]),
        (["params.model desc"], ["r3", "r1", "r4", "r2", "r5"]),
        (["params.depth"], ["r2", "r1", "r5", "r4", "r3"]),
        (["tags.team desc"], ["r1", "r2", "r4", "r5", "r3"]),
        (["attributes.name DESC"], ["r3", "r4", "r2", "r1", "r5"]),
        (["start_time asc"], ["r1", "r2", "r3", "r4", "r5"]),
        (["end_time desc"], ["r5", "r4", "r1", "r3", "r2"]),
        (["user", "metrics.auc desc"], ["r1", "r4", "r2", "r5", "r3"]),
        (["status", "params.model desc"], ["r2", "r1", "r4", "r5", "r3"]),
    ],
)
def test_order(engine: sa.Engine, order_by: list[str], expected: list[str]) -> None:
    assert search(engine, None, order_by) == expected


def test_filter_and_order_together(engine: sa.Engine) -> None:
    ids = search(engine, "metrics.auc IS NOT NULL and status != 'RUNNING'", ["metrics.auc desc"])
    assert ids == ["r1", "r2", "r4"]


def test_order_by_the_filtered_metric_joins_an_alias(engine: sa.Engine) -> None:
    """The EXISTS is correlated to runs only, so a join on latest_metrics cannot capture it."""
    stmt = sa.select(schema.runs.c.run_id).join(
        schema.latest_metrics, schema.latest_metrics.c.run_id == schema.runs.c.run_id
    )
    stmt = stmt.where(schema.latest_metrics.c.key == "loss")
    stmt = stmt.where(compile_filter(parse_filter("metrics.auc > 0.8")))  # type: ignore[arg-type]
    stmt = apply_order(stmt, parse_order_by(["metrics.auc desc"]))
    with engine.connect() as conn:
        assert list(conn.scalars(stmt)) == ["r3", "r1"]


# --- safety ---------------------------------------------------------------------------------

INJECTIONS = [
    "params.model = 'a'' OR 1=1 --'",
    "params.model = '; DROP TABLE runs; --'",
    "tags.team = '\\'; DELETE FROM runs; --'",
    'name = "x"" OR ""1""=""1"',
    "params.`model' OR '1'='1` = 'x'",
    "params.model LIKE '%'' OR 1=1 --'",
    "status IN ('x'') OR 1=1 --', 'y')",
    'params.`x"; DROP TABLE params; --` IS NOT NULL',
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_text_matches_nothing_and_drops_nothing(engine: sa.Engine, text: str) -> None:
    assert search(engine, text) == []
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(schema.runs)) == len(RUNS)
        params = sum(len(spec["params"]) for spec in RUNS)
        assert conn.scalar(sa.select(sa.func.count()).select_from(schema.params)) == params


def test_values_and_keys_are_bound_not_inlined() -> None:
    condition = compile_filter(
        parse_filter("params.`evil key` = 'DROP TABLE' and name LIKE 'x%' and metrics.m > 42")
    )
    sql = str(sa.select(schema.runs.c.run_id).where(condition))  # type: ignore[arg-type]
    for text in ("evil key", "DROP TABLE", "x%", "42"):
        assert text not in sql


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_raises_only_filter_error(text: str) -> None:
    try:
        parse_filter(text)
    except FilterError as error:
        assert 0 <= error.position <= len(text)


FRAGMENTS = st.sampled_from(
    [
        "metrics.a", "params.p", "tags.t", "status", "start_time", "attr.name", "foo.x",
        "metrics.`k k`", "`", "'", '"', "\\", "'v'", '"w"', "''", "1", "-2.5", "1e3", "inf",
        "nan", "=", "!=", "<>", "<", ">=", "LIKE", "ILIKE", "NOT", "IN", "IS", "NULL", "AND",
        "OR", "(", ")", ",", " ", ".", "!", "%", "é",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(FRAGMENTS, max_size=14).map(" ".join))
def test_filter_like_text_parses_compiles_and_runs_or_raises_filter_error(
    engine: sa.Engine, text: str
) -> None:
    try:
        expr = parse_filter(text)
    except FilterError as error:
        assert 0 <= error.position <= len(text)
        return
    search(engine, text)  # whatever parses must compile and run
    assert expr is None or isinstance(expr, Comparison | And | Or | Not)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_order_by_raises_only_filter_error(text: str) -> None:
    try:
        parse_order_by([text])
    except FilterError as error:
        assert 0 <= error.position <= len(text)


# --- scale ----------------------------------------------------------------------------------


def many_runs(n: int) -> list[dict[str, Any]]:
    """``n`` runs in experiment 1 with auc, loss, two params and a tag; every 7th lacks auc."""
    return [
        {
            "run": (f"m{i:05d}", 1, f"run-{i}", "FINISHED", float(i), None, "u", None),
            "metrics": {"loss": 1.0 / (i + 1)} | ({} if i % 7 == 0 else {"auc": (i % 100) / 100}),
            "params": {"model": ["lgbm", "xgb", "rf"][i % 3], "depth": str(i % 10)},
            "tags": {"team": "vision" if i % 2 else "nlp"},
        }
        for i in range(n)
    ]


def search_many(conn: sa.Connection) -> list[str]:
    """The store's search shape: experiment and lifecycle, a filter, an order, a limit."""
    runs = schema.runs
    condition = compile_filter(
        parse_filter("metrics.auc > 0.5 and params.model IN ('lgbm', 'xgb') or tags.team = 'x'")
    )
    stmt = sa.select(runs).where(
        runs.c.experiment_id.in_([1]),
        runs.c.lifecycle == "active",
        condition,  # type: ignore[arg-type]
    )
    stmt = apply_order(stmt, parse_order_by(["metrics.auc desc", "params.depth"])).limit(100)
    return [row.run_id for row in conn.execute(stmt)]


def test_search_over_ten_thousand_runs() -> None:
    """Correctness at scale; the timing (about 10 ms on a laptop) is checked by hand."""
    engine = sa.create_engine("sqlite://")
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        insert_runs(conn, many_runs(10_000))
        ids = search_many(conn)
    matching = [i for i in range(10_000) if i % 7 and i % 100 > 50 and i % 3 != 2]
    expected = sorted(matching, key=lambda i: (-(i % 100), str(i % 10), -i))[:100]
    assert ids == [f"m{i:05d}" for i in expected]
