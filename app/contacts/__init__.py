"""Contacts with the client: each one recorded with its channel, listed page by page."""
