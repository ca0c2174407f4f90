"""Close persons' and peer experts' links (``/p/…``): issued under consent, bound to a browser."""
