"""Ending: each service ended with the client, then the case closed (DOMAIN.md, step 7)."""
