"""A snapshot folder: what collect wrote, checked on read, derived into usage rows and observed runs."""
