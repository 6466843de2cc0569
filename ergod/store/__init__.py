"""The adherence store: what the engine resolved, kept in SQLite for the user.

`Store` (base.py) is the daemon's contract; `StoreWriter` (writer.py) keeps it
in SQLite: non-blocking calls, one writer thread, batched transactions.
`open_reader` (reader.py) is the side of `ergod summary`, `ergod data` and the
doctor: read-only queries returning frozen rows. The file format, its versions
and migrations are in schema.py and docs/store.md.
"""

from ergod.store.base import Store
from ergod.store.reader import (
    ActivitySpan,
    BoutRow,
    BreakRow,
    DaemonEventRow,
    StoreReader,
    open_reader,
)
from ergod.store.schema import (
    SCHEMA_VERSION,
    TABLES,
    CorruptStoreError,
    DaemonEvent,
    MissingStoreError,
    NewerSchemaError,
    StoreError,
    open_store,
)
from ergod.store.writer import StoreWriter

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "ActivitySpan",
    "BoutRow",
    "BreakRow",
    "CorruptStoreError",
    "DaemonEvent",
    "DaemonEventRow",
    "MissingStoreError",
    "NewerSchemaError",
    "Store",
    "StoreError",
    "StoreReader",
    "StoreWriter",
    "open_reader",
    "open_store",
]
