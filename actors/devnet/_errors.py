"""The devnet's errors.

```
ArbiterError
 └── DevnetError              anvil would not start, or the deployment failed
      └── DevnetNotInstalled  anvil or the Uniswap contracts are missing: run `make setup`
```
"""

from __future__ import annotations

from runtime import ArbiterError

__all__ = ["DevnetError", "DevnetNotInstalled"]


class DevnetError(ArbiterError):
    """anvil would not start or answer, or a deployment transaction failed."""


class DevnetNotInstalled(DevnetError):
    """The npm packages of ``ops/devnet`` (anvil, the Uniswap contracts) are not installed."""
