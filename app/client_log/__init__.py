"""The client's own access log in plain words, and their "I don't recognise this" queries."""
