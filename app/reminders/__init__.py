"""Reminders: what is waiting for each user, for the in-app lists and the daily e-mail."""
