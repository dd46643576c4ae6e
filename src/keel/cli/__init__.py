"""The ``keel`` command line: one module per noun, no logic beyond parsing and printing.

Library modules are imported inside the commands, so ``keel --help`` stays fast.
"""

from keel.cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``keel`` console script."""
    app()
