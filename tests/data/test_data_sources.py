"""keel.data._sources: every format read back, in-memory frames, SQL on SQLite and
PostgreSQL, and every way a source can be wrong, with the line and column asserted."""

from __future__ import annotations

import json
import re
import time
from unittest.mock import ANY

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from keel.data._sources import Loaded, describe_frame, read_source
from keel.errors import DataError


@pytest.fixture
def frame() -> pd.DataFrame:
    """Every kind of column a data set has: ints, floats with a gap, text with a gap and
    non-ASCII characters, booleans, timestamps."""
    return pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "spend": [10.5, None, 3.25, 0.0],
            "city": ["Oslo", "Zürich", None, "東京"],
            "active": [True, False, True, True],
            "joined": pd.to_datetime(["2024-01-01", "2024-02-29", "2024-03-15", "2024-12-31"]),
        }
    )


def check_round_trip(loaded: Loaded, expected: pd.DataFrame) -> None:
    got = loaded.frame
    assert list(got.columns) == list(expected.columns)
    assert got["id"].tolist() == expected["id"].tolist()
    assert got["spend"].isna().tolist() == expected["spend"].isna().tolist()
    assert got["spend"].dropna().tolist() == expected["spend"].dropna().tolist()
    assert got["city"].isna().tolist() == [False, False, True, False]
    assert got["city"].dropna().tolist() == ["Oslo", "Zürich", "東京"]
    assert got["active"].tolist() == [True, False, True, True]
    assert pd.api.types.is_datetime64_any_dtype(got["joined"])
    assert got["joined"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-01",
        "2024-02-29",
        "2024-03-15",
        "2024-12-31",
    ]
    assert loaded.dropped_rows == 0 and loaded.dropped_examples == ()


def message(excinfo: pytest.ExceptionInfo[DataError]) -> str:
    return str(excinfo.value)


# -- files read back ----------------------------------------------------------------------


def test_csv_round_trip(tmp_path, frame):
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    loaded = read_source(path)
    check_round_trip(loaded, frame)
    assert loaded.source == str(path)
    assert loaded.frame["id"].dtype == np.int64
    assert loaded.frame["spend"].dtype == np.float64


def test_tsv_round_trip(tmp_path, frame):
    path = tmp_path / "customers.tsv"
    frame.to_csv(path, index=False, sep="\t")
    check_round_trip(read_source(path), frame)


def test_parquet_round_trip(tmp_path, frame):
    for name in ("customers.parquet", "customers.pq"):
        path = tmp_path / name
        frame.to_parquet(path, index=False)
        check_round_trip(read_source(path), frame)


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson"])
def test_json_lines_round_trip(tmp_path, frame, suffix):
    path = tmp_path / f"customers{suffix}"
    frame.to_json(
        path, orient="records", lines=True, date_format="iso", date_unit="s", force_ascii=False
    )
    check_round_trip(read_source(path), frame)


def test_extension_is_case_insensitive(tmp_path, frame):
    path = tmp_path / "CUSTOMERS.CSV"
    frame.to_csv(path, index=False)
    check_round_trip(read_source(path), frame)


def test_relative_path_is_read_from_base_dir(tmp_path, frame, monkeypatch):
    (tmp_path / "data").mkdir()
    frame.to_csv(tmp_path / "data" / "train.csv", index=False)
    monkeypatch.chdir("/")
    loaded = read_source("data/train.csv", base_dir=tmp_path)
    check_round_trip(loaded, frame)
    assert loaded.source == str(tmp_path / "data" / "train.csv")
    absolute = read_source(tmp_path / "data" / "train.csv", base_dir="/elsewhere")
    check_round_trip(absolute, frame)


def test_csv_quoted_fields_with_delimiters_quotes_and_newlines(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text('id,note\n1,"a, b"\n2,"say ""hi"""\n3,"two\nlines"\n4,plain\n')
    loaded = read_source(path)
    assert loaded.frame["note"].tolist() == ["a, b", 'say "hi"', "two\nlines", "plain"]


def test_csv_empty_field_is_missing_in_a_text_column(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("a,b\nx,1\n,2\nNA,3\n")
    assert read_source(path).frame["a"].isna().tolist() == [False, True, True]


def test_csv_header_only_gives_no_rows(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("a,b\n")
    loaded = read_source(path)
    assert list(loaded.frame.columns) == ["a", "b"] and len(loaded.frame) == 0


def test_csv_column_that_turns_to_text_late_in_a_big_file(tmp_path):
    """Type inference covers the whole file, not only pyarrow's first block."""
    path = tmp_path / "late.csv"
    path.write_text("code,n\n" + "1,1\n" * 400_000 + "A7,2\n")
    frame = read_source(path).frame
    assert frame["code"].iloc[-1] == "A7"
    assert frame["n"].dtype == np.int64


def test_unicode_content_and_column_names(tmp_path):
    path = tmp_path / "unicode.csv"
    text = "名前,ville,emoji\n山田,Besançon,🎉\nΣωκράτης,Łódź,👍🏽\n"  # noqa: RUF001
    path.write_text(text, encoding="utf-8")
    frame = read_source(path).frame
    assert list(frame.columns) == ["名前", "ville", "emoji"]
    assert frame.values.tolist() == [["山田", "Besançon", "🎉"], ["Σωκράτης", "Łódź", "👍🏽"]]
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeff".encode() + text.encode())
    assert list(read_source(bom).frame.columns) == ["名前", "ville", "emoji"]


def test_csv_in_another_encoding(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("name,city\nJosé,Málaga\n".encode("cp1252"))
    frame = read_source(path, encoding="cp1252").frame
    assert frame.values.tolist() == [["José", "Málaga"]]


def test_200k_row_csv_is_read_fast(tmp_path):
    rng = np.random.default_rng(0)
    n = 200_000
    big = pd.DataFrame(
        {
            "id": np.arange(n),
            "x": rng.normal(size=n),
            "y": rng.integers(0, 100, size=n),
            "segment": rng.choice(["a", "b", "c"], size=n),
            "when": pd.date_range("2024-01-01", periods=n, freq="min"),
        }
    )
    path = tmp_path / "big.csv"
    big.to_csv(path, index=False)
    started = time.perf_counter()
    loaded = read_source(path)
    elapsed = time.perf_counter() - started
    assert loaded.frame.shape == (n, 5)
    assert loaded.frame["id"].iloc[-1] == n - 1
    # Typically ~0.1 s; the loose bound only catches a row-by-row reader.
    assert elapsed < 10, f"reading 200k rows took {elapsed:.1f} s; expected well under 2 s"


# -- in memory ----------------------------------------------------------------------------


def test_pandas_frame_is_read_without_touching_the_callers(frame):
    loaded = read_source(frame)
    assert loaded.source == "pandas DataFrame"
    check_round_trip(loaded, frame)
    loaded.frame.loc[0, "id"] = 99
    assert frame.loc[0, "id"] == 1


def test_polars_frame(frame):
    pl = pytest.importorskip("polars")
    loaded = read_source(pl.from_pandas(frame))
    assert loaded.source == "polars DataFrame"
    check_round_trip(loaded, frame)
    lazy = read_source(pl.from_pandas(frame).lazy())
    check_round_trip(lazy, frame)


def test_arrow_table_and_record_batch(frame):
    table = pa.Table.from_pandas(frame, preserve_index=False)
    loaded = read_source(table)
    assert loaded.source == "pyarrow Table"
    check_round_trip(loaded, frame)
    check_round_trip(read_source(table.to_batches()[0]), frame)


def test_same_data_gives_same_dtypes_from_every_format(tmp_path, frame):
    pl = pytest.importorskip("polars")
    frame.to_parquet(tmp_path / "d.parquet", index=False)
    frame.to_csv(tmp_path / "d.csv", index=False)
    dtypes = {
        name: read_source(source).frame.dtypes.map(str).tolist()
        for name, source in {
            "csv": tmp_path / "d.csv",
            "parquet": tmp_path / "d.parquet",
            "arrow": pa.Table.from_pandas(frame, preserve_index=False),
            "polars": pl.from_pandas(frame),
        }.items()
    }
    kinds = {name: [d.split("[")[0] for d in found] for name, found in dtypes.items()}
    assert len({tuple(k) for k in kinds.values()}) == 1, dtypes


def test_duplicate_column_names_are_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("a,b,a\n1,2,3\n")
    with pytest.raises(DataError) as excinfo:
        read_source(path)
    assert "'a' appears 2 times (columns 1, 3)" in message(excinfo)


def test_unknown_object_is_refused():
    with pytest.raises(DataError, match="Cannot read a data source of type int"):
        read_source(42)


# -- SQL ----------------------------------------------------------------------------------


def make_table(url: str, frame: pd.DataFrame) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        frame.to_sql("customers", connection, index=False)
    engine.dispose()


def test_sql_on_sqlite_file(tmp_path, frame):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    make_table(url, frame)
    loaded = read_source({"sql": {"url": url, "query": "SELECT id, spend, city FROM customers"}})
    assert loaded.source == f"SQL: {url}"
    assert loaded.frame["id"].tolist() == [1, 2, 3, 4]
    assert loaded.frame["city"].tolist()[:2] == ["Oslo", "Zürich"]
    assert loaded.frame["spend"].isna().tolist() == [False, True, False, False]


def test_sql_source_as_an_object_with_attributes(tmp_path, frame):
    """keel.yaml's data.source is a SqlSource: read it by its .sql.url and .sql.query."""
    from types import SimpleNamespace

    make_table(f"sqlite:///{tmp_path / 'shop.db'}", frame)
    source = SimpleNamespace(
        sql=SimpleNamespace(url="sqlite:///shop.db", query="SELECT * FROM customers")
    )
    loaded = read_source(source, base_dir=tmp_path)  # relative SQLite file: from base_dir
    assert len(loaded.frame) == 4
    assert loaded.source == f"SQL: sqlite:///{tmp_path / 'shop.db'}"


def test_sql_source_from_keel_config(tmp_path, frame):
    from keel.config import DataConfig

    make_table(f"sqlite:///{tmp_path / 'shop.db'}", frame)
    config = DataConfig.model_validate(
        {"source": {"sql": {"url": "sqlite:///shop.db", "query": "SELECT id FROM customers"}}}
    )
    assert read_source(config.source, base_dir=tmp_path).frame["id"].tolist() == [1, 2, 3, 4]


def test_sql_error_names_database_message_query_and_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    with pytest.raises(DataError) as excinfo:
        read_source({"sql": {"url": url, "query": "SELECT * FROM missing_table"}})
    text = message(excinfo)
    assert "no such table: missing_table" in text
    assert "query: SELECT * FROM missing_table" in text
    assert url in text
    assert "Traceback" not in text and "sqlalche.me" not in text


def test_sql_error_hides_the_password():
    url = "postgresql+psycopg://reader:s3cret-pw@127.0.0.1:1/shop"
    with pytest.raises(DataError) as excinfo:
        read_source({"sql": {"url": url, "query": "SELECT 1"}})
    text = message(excinfo)
    assert "s3cret-pw" not in text
    assert "postgresql+psycopg://reader:***@127.0.0.1:1/shop" in text


def test_sql_statement_without_rows(tmp_path, frame):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    make_table(url, frame)
    with pytest.raises(DataError, match="returns no rows; expected a query such as SELECT"):
        read_source({"sql": {"url": url, "query": "UPDATE customers SET id = id WHERE 0"}})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"sql": {"url": "sqlite://"}}, "needs a url and a query"),
        ({"sql": "SELECT 1"}, "needs a url and a query"),
        ({"query": "SELECT 1"}, "its keys: 'query'"),
        ({"sql": {"url": "not a url", "query": "SELECT 1"}}, "is not a SQLAlchemy URL"),
        ({"sql": {"url": "nosuchdb://h/db", "query": "SELECT 1"}}, "No database driver"),
    ],
)
def test_malformed_sql_sources(source, expected):
    with pytest.raises(DataError, match=re.escape(expected)):
        read_source(source)


@pytest.mark.postgres
def test_sql_on_postgresql(postgres_url, frame):
    make_table(postgres_url, frame)
    query = "SELECT id, spend, city, joined FROM customers WHERE city LIKE '%ü%' OR id > 3"
    loaded = read_source({"sql": {"url": postgres_url, "query": query}})
    assert loaded.frame["id"].tolist() == [2, 4]
    assert loaded.frame["city"].tolist() == ["Zürich", "東京"]
    assert pd.api.types.is_datetime64_any_dtype(loaded.frame["joined"])
    assert loaded.source.startswith("SQL: postgresql+psycopg://")


@pytest.mark.postgres
def test_sql_error_on_postgresql(postgres_url):
    query = "SELECT nope FROM missing_table"
    with pytest.raises(DataError) as excinfo:
        read_source({"sql": {"url": postgres_url, "query": query}})
    text = message(excinfo)
    assert 'relation "missing_table" does not exist' in text
    assert f"query: {query}" in text
    assert "postgresql+psycopg://" in text


# -- files that cannot be read ------------------------------------------------------------


def test_missing_file_suggests_a_close_name(tmp_path):
    (tmp_path / "customers.csv").write_text("a\n1\n")
    with pytest.raises(DataError) as excinfo:
        read_source(tmp_path / "customer.csv")
    assert f"{tmp_path / 'customer.csv'} does not exist" in message(excinfo)
    assert "Did you mean customers.csv?" in message(excinfo)


def test_missing_file_in_a_missing_folder(tmp_path):
    with pytest.raises(DataError, match="neither does the folder"):
        read_source("nowhere/data.csv", base_dir=tmp_path)


def test_directory(tmp_path):
    (tmp_path / "data.parquet").mkdir()
    with pytest.raises(DataError) as excinfo:
        read_source(tmp_path / "data.parquet")
    assert "is a folder; expected a data file (.csv, .tsv, .parquet" in message(excinfo)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("data.xlsx", "has the extension '.xlsx'; keel reads .csv, .tsv, .parquet, .pq, .jsonl"),
        ("data", "has no extension; keel reads .csv"),
        ("data.json", "(JSON lines need .jsonl or .ndjson)"),
    ],
)
def test_unknown_extension(tmp_path, name, expected):
    (tmp_path / name).write_text("a\n1\n")
    with pytest.raises(DataError) as excinfo:
        read_source(tmp_path / name)
    assert expected in message(excinfo)


@pytest.mark.parametrize("name", ["e.csv", "e.tsv", "e.parquet", "e.jsonl"])
def test_empty_file(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(DataError) as excinfo:
        read_source(tmp_path / name)
    assert f"{tmp_path / name} is empty (0 bytes)" in message(excinfo)


@pytest.mark.parametrize("name", ["blank.csv", "blank.jsonl"])
def test_file_of_blank_lines(tmp_path, name):
    (tmp_path / name).write_text("\n\n\n")
    with pytest.raises(DataError, match="has only blank lines"):
        read_source(tmp_path / name)


def test_malformed_csv_row_names_line_and_field_counts(tmp_path):
    path = tmp_path / "bad.csv"
    # A quoted newline on line 3 puts the bad row on line 7, not on CSV record 5.
    path.write_text('a,b,c\n1,2,3\n4,"five\nand a half",6\n7,8,9\n\n10,11,12\n13,14,15,16\n')
    with pytest.raises(DataError) as excinfo:
        read_source(path)
    text = message(excinfo)
    assert text.startswith(f"{path}, line 8: '13,14,15,16' has 4 fields, expected 3.")
    assert "bad_rows='skip'" in text
    assert "CSV parse error" not in text


def test_malformed_first_row_quotes_only_that_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\r\n1,2,\r\n3,4\r\n")
    with pytest.raises(DataError, match=r"bad\.csv, line 2: '1,2,' has 3 fields, expected 2\."):
        read_source(path)


def test_quoted_value_longer_than_a_read_block(tmp_path):
    path = tmp_path / "documents.csv"
    document = "word " * 500_000  # 2.5 MB with newlines, in one quoted cell
    document = document.replace("word word", "word\nword")
    path.write_text(f'id,text\n1,"{document}"\n2,short\n')
    frame = read_source(path).frame
    assert frame["text"].tolist() == [document, "short"]


def test_malformed_tsv_row(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("a\tb\n1\t2\n3\n")
    with pytest.raises(DataError, match=r"line 3: '3' has 1 field, expected 2"):
        read_source(path)


def test_skip_reports_every_dropped_csv_row(tmp_path):
    path = tmp_path / "bad.csv"
    lines = ["a,b,c"] + [f"{i},{i},{i}" for i in range(20)]
    for at in (3, 5, 8, 10, 12, 15, 18):  # 0-based index into lines: line number at + 1
        lines[at] = "x,y" if at % 2 else "p,q,r,s"
    path.write_text("\n".join(lines) + "\n")
    loaded = read_source(path, bad_rows="skip")
    assert loaded.dropped_rows == 7
    assert len(loaded.frame) == 20 - 7
    assert loaded.dropped_examples == (
        "line 4: 'x,y' has 2 fields, expected 3",
        "line 6: 'x,y' has 2 fields, expected 3",
        "line 9: 'p,q,r,s' has 4 fields, expected 3",
        "line 11: 'p,q,r,s' has 4 fields, expected 3",
        "line 13: 'p,q,r,s' has 4 fields, expected 3",
    )
    assert "x" not in loaded.frame["a"].astype(str).tolist()


def test_skip_counts_lines_across_quoted_newlines(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('a,b\n1,"multi\nline\nvalue"\n2,2,2\n3,3\n')
    loaded = read_source(path, bad_rows="skip")
    assert loaded.frame["a"].tolist() == [1, 3]
    assert loaded.dropped_examples == ("line 5: '2,2,2' has 3 fields, expected 2",)


def test_invalid_utf8_names_line_and_column(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("name,city\nAna,Lima\nJosé,Málaga\n".encode("cp1252"))
    with pytest.raises(DataError) as excinfo:
        read_source(path)
    text = message(excinfo)
    assert f"{path}, line 3, column 4: the byte 0xe9 is not valid utf-8;" in text
    assert "encoding='cp1252'" in text


def test_invalid_utf8_in_the_header(tmp_path):
    path = tmp_path / "header.csv"
    path.write_bytes("id,Größe\n1,2\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"line 1, column 6: the byte 0xf6 is not valid utf-8"):
        read_source(path)


def test_invalid_utf8_far_into_a_big_file(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        f.write(b"id,name\n")
        f.write(b"1,plain\n" * 300_000)
        f.write("2,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"line 300002, column 6: the byte 0xe9"):
        read_source(path)


def test_wrong_explicit_encoding(tmp_path):
    path = tmp_path / "utf8.csv"
    path.write_text("name\nok\nJosé\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 3, column 4: the byte 0xc3 is not valid ascii"):
        read_source(path, encoding="ascii")


def test_unknown_encoding_and_encoding_on_a_binary_format(tmp_path, frame):
    with pytest.raises(DataError, match="Unknown text encoding 'klingon'"):
        read_source(tmp_path / "x.csv", encoding="klingon")
    frame.to_parquet(tmp_path / "d.parquet")
    with pytest.raises(DataError, match="applies to CSV and TSV files only"):
        read_source(tmp_path / "d.parquet", encoding="latin-1")
    read_source(tmp_path / "d.parquet", encoding="UTF8")  # the default, however spelt


def test_malformed_json_line_names_line_and_column(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n{"a": 3,, "b": 1}\n{"a": 4}\n')
    with pytest.raises(DataError) as excinfo:
        read_source(path)
    text = message(excinfo)
    assert text.startswith(f'{path}, line 4: \'{{"a": 3,, "b": 1}}\' is not valid JSON')
    assert "at column 9" in text
    assert "JSON parse error" not in text


def test_json_line_that_is_not_an_object(tmp_path):
    path = tmp_path / "events.ndjson"
    path.write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(DataError, match=r"line 2: '\[1, 2\]' is an array, expected a JSON object"):
        read_source(path)


def test_skip_reports_dropped_json_lines(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1}\nnot json\n{"a": 2}\n"text"\n{"a": NaN}\n{"a": 3}\n')
    loaded = read_source(path, bad_rows="skip")
    assert loaded.frame["a"].tolist() == [1, 2, 3]
    assert loaded.dropped_rows == 3
    assert [e.split(":")[0] for e in loaded.dropped_examples] == ["line 2", "line 4", "line 5"]
    assert "is a string, expected a JSON object" in loaded.dropped_examples[1]


def test_skip_with_no_good_json_line(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("nope\nnope\n")
    with pytest.raises(DataError, match="none of its 2 lines is a JSON object; line 1"):
        read_source(path, bad_rows="skip")


def test_json_field_that_changes_type(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1, "u": {"v": true}}\n{"a": null}\n{"a": 2, "u": {"v": "yes"}}\n')
    with pytest.raises(DataError) as excinfo:
        read_source(path)
    assert message(excinfo).startswith(
        f"{path}, line 3: the field 'u.v' holds a string (\"yes\"), but on line 1 it holds "
        "a boolean."
    )


def test_json_lines_that_are_not_utf8(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes('{"a": "ok"}\n{"a": "Málaga"}\n'.encode("latin-1"))
    with pytest.raises(DataError) as excinfo:
        read_source(path)
    assert "line 2, column 9: the byte 0xe1 is not valid utf-8" in message(excinfo)
    assert "JSON lines must be UTF-8" in message(excinfo)


@pytest.mark.parametrize(
    "content",
    [b"this is not parquet at all", b"PAR1" + b"\x00" * 64 + b"PAR1"],
)
def test_corrupt_parquet(tmp_path, content):
    path = tmp_path / "data.parquet"
    path.write_bytes(content)
    with pytest.raises(DataError) as excinfo:
        read_source(path)
    assert f"{path} is not a readable Parquet file" in message(excinfo)
    assert "truncated or corrupt" in message(excinfo)


def test_truncated_parquet(tmp_path, frame):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pandas(frame), path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match="is not a readable Parquet file"):
        read_source(path)


def test_bad_rows_value_is_checked(tmp_path):
    with pytest.raises(ValueError, match=r"bad_rows must be 'error' or 'skip'\. Got 'drop'"):
        read_source(tmp_path / "x.csv", bad_rows="drop")  # type: ignore[arg-type]


# -- describe_frame -----------------------------------------------------------------------


def test_describe_frame(frame):
    described = describe_frame(frame, sample_rows=2)
    assert described["shape"] == [4, 5]
    assert described["columns"] == [
        {"name": "id", "dtype": "int64", "nulls": 0},
        {"name": "spend", "dtype": "float64", "nulls": 1},
        {"name": "city", "dtype": "str", "nulls": 1},
        {"name": "active", "dtype": "bool", "nulls": 0},
        {"name": "joined", "dtype": str(frame["joined"].dtype), "nulls": 0},
    ]
    first, second = described["sample"]
    assert first == {"id": 1, "spend": 10.5, "city": "Oslo", "active": True, "joined": ANY}
    assert second == {"id": 2, "spend": None, "city": "Zürich", "active": False, "joined": ANY}
    assert second["joined"] == "2024-02-29T00:00:00"
    json.dumps(described, allow_nan=False)  # plain JSON: no NaN, no numpy scalars


def test_describe_frame_odd_values():
    from decimal import Decimal

    odd = pd.DataFrame(
        {
            "nested": [{"k": [1, 2]}, None],
            "money": [Decimal("1.10"), None],
            "gap": pd.array([1, None], dtype="Int64"),
            "delta": pd.to_timedelta(["1 day", None]),
        }
    )
    sample = describe_frame(odd)["sample"]
    assert sample == [
        {"nested": {"k": [1, 2]}, "money": "1.10", "gap": 1, "delta": "1 days 00:00:00"},
        {"nested": None, "money": None, "gap": None, "delta": None},
    ]
    assert describe_frame(odd, sample_rows=0)["sample"] == []
