"""Consents: granting, amending and revoking them, statutory disclosures, receipts."""
