"""Staff accounts, roles, departments and API bearer tokens."""
