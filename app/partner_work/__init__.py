"""A partner organisation's work: what is shared with it, its updates back, notices to confirm."""
