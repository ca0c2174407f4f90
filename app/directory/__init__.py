"""The organisation directory: organisations, their kind, authority, contacts and state."""
