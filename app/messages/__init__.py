"""Secure messages between the client, the county and the client's network."""
