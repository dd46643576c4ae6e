"""Alert conditions: a small safe parser for ``when:`` (no ``eval``, no attribute access).

The grammar, tokenised by one regular expression and parsed by recursive descent::

    condition  := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison | "(" condition ")"
    comparison := operand (">" | ">=" | "<" | "<=" | "==" | "!=") operand
    operand    := number | metric

A metric is a dotted name from a monitoring report's flat mapping (``drift.share``,
``estimated.roc_auc``); a column name that is not a plain word is quoted:
``drift.columns."monthly spend".distance``. A comparison with a metric the report does
not hold is neither true nor false: the condition is *unknown* and never fires.

Example:
    >>> rule = parse_condition("drift.share > 0.3 and not estimated.roc_auc >= 0.8")
    >>> rule.evaluate({"drift.share": 0.5, "estimated.roc_auc": 0.75})
    True
    >>> rule.metrics
    ('drift.share', 'estimated.roc_auc')
    >>> print(rule.evaluate({"drift.share": 0.5}))
    None
    >>> parse_condition("__import__('os')")
    Traceback (most recent call last):
    ...
    keel.errors.MonitoringError: The condition "__import__('os')" is not valid at position 11 ("'os')"): unexpected characters.
"""  # noqa: E501

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from keel.errors import MonitoringError

__all__ = ["Condition", "parse_condition"]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<op>>=|<=|==|!=|>|<)
    | (?P<paren>[()])
    | (?P<name>(?:[A-Za-z_][\w\-]*|"[^"]*")(?:\.(?:[A-Za-z_0-9][\w\-]*|"[^"]*"))*)
    )""",
    re.VERBOSE,
)
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_WORDS = {"and", "or", "not"}


@dataclass(frozen=True)
class Condition:
    """A parsed ``when:``: evaluate it on a flat mapping of metrics."""

    text: str
    tree: tuple[Any, ...]

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric names the condition reads, in order of first use."""
        found: list[str] = []
        _names(self.tree, found)
        return tuple(dict.fromkeys(found))

    def evaluate(self, metrics: Mapping[str, float]) -> bool | None:
        """True or False, or None when a metric it needs is missing (or NaN) — Kleene's
        three-valued logic, so ``unknown or True`` is True."""
        return _evaluate(self.tree, metrics)


def parse_condition(text: str) -> Condition:
    """Parse a ``when:`` condition.

    Raises:
        MonitoringError: the text is not a condition; the message says where and why.
    """
    tokens = _tokenize(text)
    parser = _Parser(text, tokens)
    tree = parser.or_()
    if parser.position < len(tokens):
        parser.fail("expected 'and', 'or' or the end of the condition")
    return Condition(text, tree)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            where = len(text) - len(text[position:].lstrip())
            raise _syntax(text, where, "unexpected characters")
        kind, value = match.lastgroup, match.group(match.lastgroup)
        if kind == "name" and value in _WORDS:
            kind = value
        tokens.append((kind, value, match.start(match.lastgroup)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, tokens: list[tuple[str, str, int]]):
        self.text, self.tokens, self.position = text, tokens, 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, kind: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == kind:
            self.position += 1
            return True
        return False

    def fail(self, expected: str) -> None:
        token = self.peek()
        raise _syntax(self.text, token[2] if token else len(self.text), expected)

    def or_(self) -> tuple[Any, ...]:
        node = self.and_()
        while self.take("or"):
            node = ("or", node, self.and_())
        return node

    def and_(self) -> tuple[Any, ...]:
        node = self.not_()
        while self.take("and"):
            node = ("and", node, self.not_())
        return node

    def not_(self) -> tuple[Any, ...]:
        if self.take("not"):
            return ("not", self.not_())
        token = self.peek()
        if token is not None and token[:2] == ("paren", "("):
            self.position += 1
            node = self.or_()
            token = self.peek()
            if token is None or token[:2] != ("paren", ")"):
                self.fail("expected ')'")
            self.position += 1
            return node
        return self.comparison()

    def comparison(self) -> tuple[Any, ...]:
        left = self.operand()
        token = self.peek()
        if token is None or token[0] != "op":
            self.fail("expected a comparison operator (>, >=, <, <=, ==, !=)")
        assert token is not None
        self.position += 1
        return ("cmp", token[1], left, self.operand())

    def operand(self) -> tuple[Any, ...]:
        token = self.peek()
        if token is None or token[0] not in ("number", "name"):
            self.fail("expected a metric name or a number")
        assert token is not None
        self.position += 1
        if token[0] == "number":
            return ("num", float(token[1]))
        return ("metric", _metric_name(token[1]))


def _metric_name(text: str) -> str:
    parts = re.findall(r'"[^"]*"|[^.]+', text)
    return ".".join(part.strip('"') for part in parts)


def _syntax(text: str, where: int, expected: str) -> MonitoringError:
    rest = text[where:].strip() or "the end"
    return MonitoringError(
        f"The condition {text!r} is not valid at position {where} ({rest!r}): {expected}.",
        field="when",
    )


def _names(node: tuple[Any, ...], found: list[str]) -> None:
    if node[0] == "metric":
        found.append(node[1])
    for child in node[1:]:
        if isinstance(child, tuple):
            _names(child, found)


def _evaluate(node: tuple[Any, ...], metrics: Mapping[str, float]) -> bool | None:
    kind = node[0]
    if kind == "cmp":
        left, right = _value(node[2], metrics), _value(node[3], metrics)
        if left is None or right is None:
            return None
        return _COMPARE[node[1]](left, right)
    if kind == "not":
        inner = _evaluate(node[1], metrics)
        return None if inner is None else not inner
    left, right = _evaluate(node[1], metrics), _evaluate(node[2], metrics)
    if kind == "and":
        if left is False or right is False:
            return False
        return None if left is None or right is None else True
    if left is True or right is True:
        return True
    return None if left is None or right is None else False


def _value(node: tuple[Any, ...], metrics: Mapping[str, float]) -> float | None:
    if node[0] == "num":
        return float(node[1])
    found = metrics.get(node[1])
    if found is None or isinstance(found, bool | str):
        return None if not isinstance(found, bool) else float(found)
    value = float(found)
    return None if math.isnan(value) else value
