"""Model references: the three forms, and clear errors for anything else."""

from __future__ import annotations

import pytest

from keel.errors import RegistryError
from keel.models._refs import ModelRef, parse_ref


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("churn", ModelRef("churn")),
        ("churn/3", ModelRef("churn", version=3)),
        ("churn@champion", ModelRef("churn", alias="champion")),
        ("fraud.v2-eu_1/12", ModelRef("fraud.v2-eu_1", version=12)),
        ("7up@shadow-2", ModelRef("7up", alias="shadow-2")),
    ],
)
def test_the_three_forms_parse_and_print_back(text: str, expected: ModelRef) -> None:
    assert parse_ref(text) == expected
    assert str(parse_ref(text)) == text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "model name ''"),
        ("churn/", "version '' is not a whole number"),
        ("churn/0", "version '0' is not a whole number >= 1"),
        ("churn/-1", "version '-1'"),
        ("churn/x", "version 'x'"),
        ("churn/3/4", "version '3/4'"),
        ("churn@", "alias ''"),
        ("churn@3", "alias '3' is not valid"),
        ("churn@a@b", "alias 'a@b'"),
        ("churn/3@champion", "both a version"),
        ("ch urn", "model name 'ch urn'"),
        ("-churn", "model name '-churn'"),
        ("x" * 300, "at most 256 characters"),
    ],
)
def test_malformed_refs_name_the_text_and_the_accepted_forms(text: str, problem: str) -> None:
    with pytest.raises(RegistryError) as info:
        parse_ref(text)
    message = str(info.value)
    assert repr(text) in message and problem in message
    assert "'name/3'" in message and "'name@alias'" in message


def test_a_ref_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(RegistryError, match=r"must be a string.*Got 3"):
        parse_ref(3)  # type: ignore[arg-type]
