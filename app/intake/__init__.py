"""Intake: notifications (SHL § 35), new clients, the county's queue and finding a client."""
