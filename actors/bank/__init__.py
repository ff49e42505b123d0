"""The memory bank: arbiter's durable memory on SQLite, and the restore after a restart."""

from actors.bank._bank import BANK_MAILBOX as BANK_MAILBOX
from actors.bank._bank import Bank as Bank
from actors.bank._bank import BankSettings as BankSettings
from actors.bank._exceptions import BankError as BankError
from actors.bank._exceptions import BankUnavailable as BankUnavailable
from actors.bank._exceptions import ForeignDatabase as ForeignDatabase
from actors.bank._exceptions import WriteRejected as WriteRejected
from actors.bank._receipt import Receipt as Receipt
from actors.bank._receipt import write_durably as write_durably
from actors.bank._schema import APPLICATION_ID as APPLICATION_ID
from actors.bank._schema import SCHEMA_VERSION as SCHEMA_VERSION
from actors.bank._schema import migrate as migrate
from actors.bank._schema import open_database as open_database
from actors.bank._store import Retention as Retention
from actors.bank._store import Store as Store

__all__ = [
    "APPLICATION_ID",
    "BANK_MAILBOX",
    "SCHEMA_VERSION",
    "Bank",
    "BankError",
    "BankSettings",
    "BankUnavailable",
    "ForeignDatabase",
    "Receipt",
    "Retention",
    "Store",
    "WriteRejected",
    "migrate",
    "open_database",
    "write_durably",
]
