"""Accounts: the credential check, and the API's bearer tokens."""
