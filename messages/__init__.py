"""Every message type of arbiter, as msgspec Structs grouped by conversation."""
