"""scikit-learn objects in skops format: a file that can be loaded without running code,
because loading only builds the types it is allowed to build.

keel allows the types of scikit-learn, NumPy, SciPy and keel itself; a file that names any
other type is refused before anything in it is built. Writing checks the same list, so a
package that keel writes is one that keel can load.

Example:
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> type(loads_skops(dumps_skops(model, file="m.skops"), file="m.skops")).__name__
    'LogisticRegression'
"""

from __future__ import annotations

from typing import Any

from keel.errors import ModelError, PackageError

__all__ = ["ALLOWED_MODULES", "dumps_skops", "loads_skops", "refused_types"]

#: Top-level modules whose types a skops file in a package may hold.
ALLOWED_MODULES = ("sklearn", "numpy", "scipy", "keel")


def refused_types(type_names: list[str]) -> list[str]:
    """The names in ``type_names`` outside `ALLOWED_MODULES` (module boundary, not prefix:
    ``sklearnx.Evil`` is refused)."""
    return sorted(name for name in type_names if name.split(".", 1)[0] not in ALLOWED_MODULES)


def dumps_skops(obj: Any, *, file: str) -> bytes:
    """``obj`` as skops bytes, checked to hold only allowed types.

    Raises:
        ModelError: ``obj`` holds a type keel would refuse to load; the message lists them.
    """
    import skops.io as sio

    data: bytes = sio.dumps(obj)
    refused = refused_types(sio.get_untrusted_types(data=data))
    if refused:
        raise ModelError(
            f"Cannot save {type(obj).__name__} as {file}: it holds types outside "
            f"{', '.join(ALLOWED_MODULES)} ({', '.join(refused)}), which a package refuses "
            "to load. Use estimators from scikit-learn, or a LightGBM or XGBoost model.",
            field=file,
        )
    return data


def loads_skops(data: bytes, *, file: str) -> Any:
    """Build the object in skops ``data``, trusting only the allowed types.

    Raises:
        PackageError: the file is not skops, or names a type outside `ALLOWED_MODULES`.
    """
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # skops raises zipfile / JSON / key errors for a bad file
        raise PackageError(f"{file} is not a readable skops file: {exc}.", file=file) from None
    refused = refused_types(untrusted)
    if refused:
        raise PackageError(
            f"{file} holds types a package may not load ({', '.join(refused)}); only types "
            f"from {', '.join(ALLOWED_MODULES)} are allowed. The file was not built.",
            file=file,
        )
    return sio.loads(data, trusted=untrusted)
