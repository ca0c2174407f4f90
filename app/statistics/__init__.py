"""Outcome statistics of the model with disclosure control (issue 18)."""
