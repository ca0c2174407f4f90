"""Service functions: take a Session and primitives, flush, never commit (the edge commits)."""
