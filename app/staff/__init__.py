"""Administering staff accounts: invitations, role and organisation, resets, deactivation."""
