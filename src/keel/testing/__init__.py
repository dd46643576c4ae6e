"""Conformance kits for plugin authors: the tests keel's own backends pass.

Example:
    >>> from keel.testing import ArtifactStoreTests, StoreTests
"""

from keel.testing._artifact_store_tests import ArtifactStoreTests
from keel.testing._store_tests import StoreTests

__all__ = ["ArtifactStoreTests", "StoreTests"]
