"""The domain actors of arbiter: chain, dex, analytics, nonce, signer, executor, bank, dashboard."""
