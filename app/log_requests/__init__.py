"""The client's log request (Client Data Act 703/2023): started, extended, answered, refused."""
