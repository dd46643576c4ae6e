r"""The run-search language: a tokenizer and a recursive-descent parser to a small AST.

A filter is a boolean combination of comparisons::

    metrics.auc > 0.9 and params.model = 'lightgbm'
    (tags.team = "vision" or tags.team = 'nlp') and not status = 'FAILED'
    metrics.`val loss` <= 1e-3 and name LIKE 'lgbm%'
    params.depth IN ('3', '5') and metrics.rmse IS NOT NULL
    start_time >= 1717200000 and end_time IS NULL

Rules:

- A comparison is ``<entity>.<key> <op> <value>``. Entities are ``metrics``, ``params``,
  ``tags`` and ``attributes`` (aliases ``metric``, ``param``, ``tag``, ``attribute``,
  ``attr``). A name without an entity is an attribute: ``status = 'FINISHED'``.
- The key is everything after the first dot up to the first character a plain key cannot
  hold (whitespace, an operator, a quote, a parenthesis), so ``metrics.val.loss`` is the
  metric ``val.loss``; plain keys hold letters, digits and ``_ - / . :``. Any other key is
  backquoted, a doubled backquote standing for one: ``metrics.`val loss```.
- Attributes: run_id, name (or run_name), status, start_time, end_time, experiment_id, user,
  host, parent_run_id, git_commit. start_time and end_time (epoch seconds) and experiment_id
  are numbers; the others are strings.
- Metrics and numeric attributes take numbers: ``3``, ``-0.5``, ``1e-3``, ``inf``, ``-inf``.
  ``nan`` is refused, since NaN equals nothing. Params, tags and string attributes take
  quoted strings, ``'...'`` or ``"..."``: a backslash escapes the next character and a
  doubled quote stands for one (``'it''s'``). Params are strings: ``params.depth = '3'``.
- Operators: ``=`` (or ``==``), ``!=`` (or ``<>``), ``<``, ``<=``, ``>``, ``>=``,
  ``IN (v, ...)`` and ``NOT IN (...)`` for every type; ``LIKE``, ``ILIKE``, ``NOT LIKE``,
  ``NOT ILIKE`` for strings. ``%`` and ``_`` are wildcards and a backslash escapes them,
  doubled inside the quotes: ``name LIKE '50\\%%'``. LIKE is case-sensitive on every
  database, ILIKE is not. ``<``, ``>``... on strings compare them lexicographically.
  ``IS NULL`` / ``IS NOT NULL``: the run lacks / has the metric, param or tag, or the
  attribute is / is not NULL.
- Combine with ``and``, ``or``, ``not`` and parentheses; ``not`` binds tightest, then
  ``and``, then ``or``. Keywords, entities and attribute names are case-insensitive; keys
  are not. An empty filter (or None) matches every run.

ORDER BY terms (:func:`parse_order_by`) are a column as above and an optional ``ASC`` or
``DESC``: ``"metrics.auc DESC"``, ``"params.model"``, ``"start_time asc"``.

Semantics (see ``_filter_sql``): a comparison on a metric, param or tag holds only for runs
that have that key (``params.x != 'a'`` skips runs without ``x``); metrics compare their
latest value; a NaN metric satisfies only ``!=`` and ``NOT IN``, as in IEEE arithmetic.

Every error is a :class:`~keel.errors.FilterError` whose ``position`` points at the
offending character.

>>> expr = parse_filter("metrics.auc > 0.9 and not params.model = 'lr'")
>>> expr.items[1]
Not(item=Comparison(entity='params', key='model', op='=', value='lr', position=26))
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

from keel.errors import FilterError

__all__ = [
    "And",
    "Comparison",
    "Expr",
    "Not",
    "Or",
    "OrderKey",
    "parse_filter",
    "parse_order_by",
    "tokenize",
]

ENTITIES = {
    "metrics": "metrics",
    "metric": "metrics",
    "params": "params",
    "param": "params",
    "tags": "tags",
    "tag": "tags",
    "attributes": "attributes",
    "attribute": "attributes",
    "attr": "attributes",
}
STRING_ATTRIBUTES = ("run_id", "name", "status", "user", "host", "parent_run_id", "git_commit")
NUMERIC_ATTRIBUTES = ("start_time", "end_time", "experiment_id")
ATTRIBUTE_ALIASES = {"run_name": "name"}
_ALLOWED_ATTRIBUTES = (
    "run_id, name (or run_name), status, start_time, end_time, experiment_id, "
    "user, host, parent_run_id, git_commit"
)
_ALL_OPERATORS = "(=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS)"
_NUMERIC_OPERATORS = "(=, !=, <, <=, >, >=, IN, IS)"
_KEYWORDS = {"AND", "OR", "NOT", "LIKE", "ILIKE", "IN", "IS", "NULL", "ASC", "DESC"}

Value: TypeAlias = float | str | tuple[float | str, ...] | None


@dataclass(frozen=True)
class Comparison:
    """``<entity>.<key> <op> <value>``.

    ``entity`` is canonical (metrics, params, tags, attributes) and so is an attribute
    ``key``; ``op`` is one of =, !=, <, <=, >, >=, LIKE, NOT LIKE, ILIKE, NOT ILIKE, IN,
    NOT IN, IS NULL, IS NOT NULL; ``value`` is a float, a str, a tuple of them (IN) or None
    (IS); ``position`` is where the comparison starts in the filter.
    """

    entity: str
    key: str
    op: str
    value: Value
    position: int


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    item: Expr


Expr: TypeAlias = Comparison | And | Or | Not


@dataclass(frozen=True)
class OrderKey:
    """One ORDER BY term: ``entity`` and ``key`` as in :class:`Comparison`."""

    entity: str
    key: str
    descending: bool = False


# --- tokenizer ----------------------------------------------------------------------------


class Token(NamedTuple):
    kind: str  # ident, quoted_key, string, number, op, (, ), ",", eof
    text: str  # the raw source text
    value: float | str | None
    position: int


_SPACE = re.compile(r"\s+")
_OPERATOR = re.compile(r"==|!=|<>|<=|>=|=|<|>")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SIGNED_WORD = re.compile(r"[+-](?:infinity|inf|nan)(?![\w\-/.:])", re.IGNORECASE)
_IDENT = re.compile(r"[^\W\d][\w\-/.:]*")
_IDENT_CHAR = re.compile(r"[\w\-/.:]")
_WORD = re.compile(r"[\w\-+/.:]*")
_NUMBER_WORDS = {"inf", "infinity", "nan"}


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``eof`` token at ``len(text)``."""
    tokens: list[Token] = []
    pos = _skip_space(text, 0)
    while pos < len(text):
        token = _next_token(text, pos)
        tokens.append(token)
        pos = _skip_space(text, pos + len(token.text))
    tokens.append(Token("eof", "", None, len(text)))
    return tokens


def _skip_space(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def _next_token(text: str, pos: int) -> Token:
    char = text[pos]
    if char in "'\"`":
        return _quoted(text, pos)
    if char in "(),":
        return Token(char, char, None, pos)
    if match := _OPERATOR.match(text, pos):
        return Token("op", match.group(), match.group(), pos)
    if match := _SIGNED_WORD.match(text, pos):
        return Token("number", match.group(), float(match.group()), pos)
    if match := _NUMBER.match(text, pos):
        return _number(text, match)
    if match := _IDENT.match(text, pos):
        word = match.group()
        if word.lower() in _NUMBER_WORDS:
            return Token("number", word, float(word), pos)
        return Token("ident", word, word, pos)
    expected = "a name, a number, a quoted string, an operator or a parenthesis"
    raise _error(f"Expected {expected}, got {char!r} at position {pos}.", text, pos)


def _number(text: str, match: re.Match[str]) -> Token:
    start, end = match.span()
    if end < len(text) and _IDENT_CHAR.match(text, end):
        word = _WORD.match(text, start).group()  # type: ignore[union-attr]
        message = f"Expected a number, got {word!r} at position {start}."
        raise _error(message, text, start)
    return Token("number", match.group(), float(match.group()), start)


def _quoted(text: str, start: int) -> Token:
    """A string (``'…'``, ``"…"``) or a backquoted key; the closing quote doubled or
    backslash-escaped stands for itself (backquoted keys take only the doubling)."""
    quote, pos, chars = text[start], start + 1, []
    while pos < len(text):
        char = text[pos]
        if char == "\\" and quote != "`" and pos + 1 < len(text):
            chars.append(text[pos + 1])
            pos += 2
        elif char == quote and text.startswith(quote * 2, pos):
            chars.append(quote)
            pos += 2
        elif char == quote:
            kind = "quoted_key" if quote == "`" else "string"
            return Token(kind, text[start : pos + 1], "".join(chars), start)
        else:
            chars.append(char)
            pos += 1
    what = "backquoted key" if quote == "`" else "string"
    message = (
        f"Expected a closing {quote} for the {what} at position {start}, got the end of the text."
    )
    raise _error(message, text, start)


def _error(message: str, text: str, position: int) -> FilterError:
    return FilterError(message, filter_string=text, position=position)


# --- parser -------------------------------------------------------------------------------


def parse_filter(text: str | None) -> Expr | None:
    """Parse a search filter; None or blank text means no filter.

    Raises:
        FilterError: the filter is malformed; ``.position`` points at the problem.
    """
    if text is None or not text.strip():
        return None
    parser = _Parser(text)
    expr = parser.parse_or()
    parser.expect_end("AND, OR or the end of the filter")
    return expr


def parse_order_by(items: Sequence[str] | None) -> list[OrderKey]:
    """Parse ORDER BY terms such as ``"metrics.auc DESC"`` or ``"start_time"`` (ascending).

    Raises:
        FilterError: a term is malformed; ``.filter_string`` is that term.
    """
    return [_parse_order_key(item) for item in items or ()]


def _parse_order_key(item: str) -> OrderKey:
    parser = _Parser(item, noun="term")
    column = parser.parse_column("a column to order by such as 'metrics.auc DESC'")
    direction = parser.peek()
    descending = False
    if parser.is_keyword(direction, "ASC", "DESC"):
        descending = parser.take().text.upper() == "DESC"
    parser.expect_end(f"ASC or DESC after '{column.display}'")
    return OrderKey(column.entity, column.key, descending)


@dataclass(frozen=True)
class _Column:
    entity: str
    key: str
    position: int
    display: str  # as written in the filter, for messages

    @property
    def numeric(self) -> bool:
        return self.entity == "metrics" or self.key in NUMERIC_ATTRIBUTES


class _Parser:
    """Recursive descent over the tokens; one method per grammar rule."""

    def __init__(self, text: str, noun: str = "filter"):
        self.text = text
        self.noun = noun
        self.tokens = tokenize(text)
        self.index = 0

    # -- token helpers

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def is_keyword(self, token: Token, *words: str) -> bool:
        return token.kind == "ident" and token.text.upper() in words

    def error(self, expected: str, token: Token, hint: str = "") -> FilterError:
        found = f"the end of the {self.noun}" if token.kind == "eof" else _describe(token)
        message = f"Expected {expected}, got {found} at position {token.position}."
        return _error(f"{message} {hint}".rstrip(), self.text, token.position)

    def expect_end(self, expected: str) -> None:
        token = self.peek()
        if token.kind != "eof":
            hint = "This ')' has no matching '('." if token.kind == ")" else ""
            raise self.error(expected, token, hint)

    # -- boolean structure: or := and (OR and)*, and := unary (AND unary)*

    def parse_or(self) -> Expr:
        items = [self.parse_and()]
        while self.is_keyword(self.peek(), "OR"):
            self.take()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Expr:
        items = [self.parse_unary()]
        while self.is_keyword(self.peek(), "AND"):
            self.take()
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Expr:
        if self.is_keyword(self.peek(), "NOT"):
            self.take()
            return Not(self.parse_unary())
        if self.peek().kind == "(":
            return self.parse_group()
        return self.parse_comparison()

    def parse_group(self) -> Expr:
        opening = self.take()
        expr = self.parse_or()
        if self.peek().kind != ")":
            expected = f"')' to close the '(' at position {opening.position}"
            raise self.error(expected, self.peek())
        self.take()
        return expr

    # -- comparison := column operator

    def parse_comparison(self) -> Comparison:
        column = self.parse_column("a comparison such as metrics.auc > 0.9")
        op, value = self.parse_operator(column)
        return Comparison(column.entity, column.key, op, value, column.position)

    def parse_column(self, expected: str) -> _Column:
        token = self.take()
        if token.kind != "ident" or token.text.upper() in _KEYWORDS:
            raise self.error(expected, token)
        if "." not in token.text:
            return self._attribute(token.text, token.position, token)
        word, _, key = token.text.partition(".")
        entity = ENTITIES.get(word.lower())
        if entity is None:
            expected = "an entity (metrics, params, tags or attributes) before the dot"
            raise self.error(expected, token._replace(text=word))
        key_token = self._key_token(token, key)
        display = self.text[token.position : key_token.position + len(key_token.text)]
        if entity == "attributes":
            return self._attribute(str(key_token.value), token.position, key_token, display)
        return _Column(entity, str(key_token.value), token.position, display)

    def _key_token(self, token: Token, key: str) -> Token:
        """The key after ``entity.``: the rest of the word, or a backquoted key after it."""
        if key:
            return Token("ident", key, key, token.position + len(token.text) - len(key))
        if self.peek().kind != "quoted_key":
            raise self.error(f"a key after '{token.text}'", self.peek())
        return self.take()

    def _attribute(
        self, name: str, position: int, token: Token, display: str | None = None
    ) -> _Column:
        key = ATTRIBUTE_ALIASES.get(name.lower(), name.lower())
        if key not in STRING_ATTRIBUTES and key not in NUMERIC_ATTRIBUTES:
            hint = f"Write {name}.<key> to name one." if name.lower() in ENTITIES else ""
            raise self.error(f"an attribute ({_ALLOWED_ATTRIBUTES})", token, hint)
        return _Column("attributes", key, position, display or token.text)

    # -- operator := op value | [NOT] (LIKE | ILIKE) string | [NOT] IN list | IS [NOT] NULL

    def parse_operator(self, column: _Column) -> tuple[str, Value]:
        token = self.take()
        if token.kind == "op":
            op = {"==": "=", "<>": "!="}.get(token.text, token.text)
            return op, self.parse_value(column, f"after '{column.display} {token.text}'")
        if self.is_keyword(token, "IS"):
            return self.parse_is()
        negated = self.is_keyword(token, "NOT")
        word = self.take() if negated else token
        if self.is_keyword(word, "IN"):
            return ("NOT IN" if negated else "IN"), self.parse_list(column)
        if self.is_keyword(word, "LIKE", "ILIKE") and not column.numeric:
            op = ("NOT " if negated else "") + word.text.upper()
            return op, self.parse_pattern(column, f"after '{column.display} {op}'")
        raise self._operator_error(column, word, negated)

    def parse_pattern(self, column: _Column, context: str) -> str:
        """A LIKE pattern: ``%`` and ``_`` are wildcards, a backslash escapes them."""
        pattern = str(self.parse_value(column, context))
        trailing = len(pattern) - len(pattern.rstrip("\\"))
        if trailing % 2:
            token = self.tokens[self.index - 1]
            hint = "In a LIKE pattern a backslash escapes the next character; double it."
            raise self.error(f"a pattern that does not end in an escape {context}", token, hint)
        return pattern

    def _operator_error(self, column: _Column, token: Token, negated: bool) -> FilterError:
        context = f"after '{column.display}{' NOT' if negated else ''}'"
        if column.numeric:
            expected = "IN" if negated else f"a comparison operator {_NUMERIC_OPERATORS}"
        else:
            expected = "LIKE, ILIKE or IN" if negated else f"a comparison operator {_ALL_OPERATORS}"
        return self.error(f"{expected} {context}", token, _operator_hint(column, token))

    def parse_is(self) -> tuple[str, Value]:
        negated = self.is_keyword(self.peek(), "NOT")
        if negated:
            self.take()
        token = self.take()
        if not self.is_keyword(token, "NULL"):
            raise self.error("NULL or NOT NULL after 'IS'" if not negated else "NULL", token)
        return ("IS NOT NULL" if negated else "IS NULL"), None

    def parse_list(self, column: _Column) -> tuple[float | str, ...]:
        if self.peek().kind != "(":
            raise self.error(f"'(' to open the IN list of {column.display}", self.peek())
        self.take()
        if self.peek().kind == ")":
            hint = "An IN list needs at least one value."
            raise self.error(f"a value in the IN list of {column.display}", self.peek(), hint)
        values = [self.parse_value(column, f"in the IN list of {column.display}")]
        while self.peek().kind == ",":
            self.take()
            values.append(self.parse_value(column, f"in the IN list of {column.display}"))
        if self.peek().kind != ")":
            raise self.error(f"',' or ')' in the IN list of {column.display}", self.peek())
        self.take()
        return tuple(values)

    # -- value := number | string, as the column's type requires

    def parse_value(self, column: _Column, context: str) -> float | str:
        token = self.take()
        if column.numeric:
            return self._number_value(column, context, token)
        if token.kind != "string":
            hint = _string_hint(column, token)
            raise self.error(f"a quoted string {context}", token, hint)
        return str(token.value)

    def _number_value(self, column: _Column, context: str, token: Token) -> float:
        if token.kind != "number":
            raise self.error(f"a number {context}", token, _number_hint(column, token))
        value = float(token.value)  # type: ignore[arg-type]
        if math.isnan(value):
            hint = "NaN equals nothing, not even NaN; a NaN metric satisfies only != and NOT IN."
            raise self.error(f"a number other than nan {context}", token, hint)
        return value


def _operator_hint(column: _Column, token: Token) -> str:
    if token.kind != "ident":
        return ""
    if token.text.upper() in ("LIKE", "ILIKE"):
        return f"LIKE and ILIKE match strings, and {column.display} is a number."
    if token.text.upper() not in _KEYWORDS and column.entity != "attributes":
        return f"Backquote a key that holds spaces: {column.entity}.`{column.key} {token.text}`."
    return ""


def _number_hint(column: _Column, token: Token) -> str:
    what = "Metrics are numbers" if column.entity == "metrics" else f"{column.key} is a number"
    if token.kind == "string" and _NUMBER.fullmatch(str(token.value)):
        return f"{what}: write {token.value} without quotes."
    return f"{what}." if token.kind == "string" else ""


def _string_hint(column: _Column, token: Token) -> str:
    if token.kind != "number" or column.entity == "attributes":
        return ""
    return f"{column.entity.capitalize()} are strings: write {column.display} = '{token.text}'."


def _describe(token: Token) -> str:
    if token.kind == "string":
        return f"the string {token.text}"
    return f"'{token.text}'"
