"""The schema version, in a module of its own so reading it imports nothing heavy."""

#: Bumped with every migration; a database whose version is higher is refused.
SCHEMA_VERSION = 8
