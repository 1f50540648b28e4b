"""The SQLite library: schema, migrations and the read/write API."""

from assistant.store.library import ImportResult, Library

__all__ = ["ImportResult", "Library"]
