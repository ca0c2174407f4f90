"""Accounts: the credential check with its lockout, and the API's bearer tokens."""
