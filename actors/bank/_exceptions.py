"""What the memory bank raises.

```
ArbiterError (runtime)
 └── BankError               something about the bank's database
      ├── ForeignDatabase    the file is not arbiter's database, or not one this version reads
      ├── BankUnavailable    a write was not recorded (disk full, read-only, database unusable)
      └── WriteRejected      SQLite refused a value in the write; the rest of its batch was recorded
```

Every message names the database file. arbiter never deletes, truncates or
rewrites a file it did not create: a foreign or corrupt one stays as it was.
"""

from __future__ import annotations

from runtime import ArbiterError

__all__ = ["BankError", "BankUnavailable", "ForeignDatabase", "WriteRejected"]


class BankError(ArbiterError):
    """Something about the memory bank's database went wrong."""


class ForeignDatabase(BankError):
    """The file is not a database this arbiter may use; it is left untouched.

    Not SQLite at all, SQLite of another application, a schema newer than
    this arbiter knows, or corrupt.
    """


class BankUnavailable(BankError):
    """A write was not recorded: the database cannot be written or opened now."""


class WriteRejected(BankError):
    """A write was not recorded because of what it holds; the rest of its batch was."""
