"""The client's case: its phases and key release dates, its responsible worker and team."""
