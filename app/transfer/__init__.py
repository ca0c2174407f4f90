"""County transfer: a client's case handed over to the county that is now their home county."""
