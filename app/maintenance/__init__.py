"""Housekeeping run by the CLI: consents' expiry, seals' clean-up and disposal after retention."""
