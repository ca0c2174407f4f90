"""Clients' sign-in: one-time activation codes, the username and password rules, activation."""
