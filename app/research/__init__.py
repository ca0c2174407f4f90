"""Pseudonymised research extracts for approved studies (issue 18)."""
