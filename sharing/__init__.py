"""Key management, envelope encryption and the access gate. Never imports Flask or ``app``."""
