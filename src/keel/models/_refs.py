"""Model references: ``name`` (the latest active version), ``name/3``, ``name@alias``.

The one grammar the CLI, the API and serving accept, so a reference means the same
everywhere.

Example:
    >>> parse_ref("churn/3")
    ModelRef(name='churn', version=3, alias=None)
    >>> str(parse_ref("churn@champion"))
    'churn@champion'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from keel.errors import RegistryError

__all__ = ["ModelRef", "check_alias", "check_model_name", "parse_ref"]

NAME_MAX = 256
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# An alias starts with a letter, so "name@3" can never be mistaken for a version.
_ALIAS = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")
_VERSION = re.compile(r"[1-9][0-9]{0,8}")
FORMS = "'name' (the latest active version), 'name/3' (a version) or 'name@alias'"


@dataclass(frozen=True)
class ModelRef:
    """A parsed reference: a version number, an alias, or neither (the latest)."""

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}/{self.version}"
        return f"{self.name}@{self.alias}" if self.alias is not None else self.name


def parse_ref(text: str) -> ModelRef:
    """Parse a model reference.

    Raises:
        RegistryError: the text is not one of the accepted forms; the message names it.
    """
    if not isinstance(text, str):
        raise RegistryError(f"A model reference must be a string, one of {FORMS}. Got {text!r}.")
    if "/" in text and "@" in text:
        raise _malformed(text, "it has both a version ('/') and an alias ('@')")
    name, sep, rest = text.partition("/") if "/" in text else text.partition("@")
    check_model_name(name, ref=text)
    if not sep:
        return ModelRef(name)
    if sep == "/":
        if not _VERSION.fullmatch(rest):
            raise _malformed(text, f"the version {rest!r} is not a whole number >= 1")
        return ModelRef(name, version=int(rest))
    check_alias(rest, ref=text)
    return ModelRef(name, alias=rest)


def check_model_name(name: str, *, ref: str | None = None) -> str:
    """Return ``name`` if it is a valid model name, else raise RegistryError."""
    if len(name) <= NAME_MAX and _NAME.fullmatch(name):
        return name
    problem = (
        f"the model name {name!r} is not valid: use letters, digits, '-', '_' and '.', "
        f"starting with a letter or digit, at most {NAME_MAX} characters"
    )
    if ref is None:
        raise RegistryError(problem[0].upper() + problem[1:] + ".")
    raise _malformed(ref, problem)


def check_alias(alias: str, *, ref: str | None = None) -> str:
    """Return ``alias`` if it is a valid alias name, else raise RegistryError."""
    if len(alias) <= NAME_MAX and _ALIAS.fullmatch(alias):
        return alias
    problem = (
        f"the alias {alias!r} is not valid: use letters, digits, '-', '_' and '.', "
        f"starting with a letter, at most {NAME_MAX} characters"
    )
    if ref is None:
        raise RegistryError(problem[0].upper() + problem[1:] + ".")
    raise _malformed(ref, problem)


def _malformed(text: str, problem: str) -> RegistryError:
    return RegistryError(f"The model reference {text!r} is malformed: {problem}. Expected {FORMS}.")
