"""The signer: a pykka thread actor holding the only copy of the private key."""

from actors.signer._keys import SignerSettings as SignerSettings
from actors.signer._keys import load_key as load_key
from actors.signer._signer import Signer as Signer

__all__ = ["Signer", "SignerSettings", "load_key"]
