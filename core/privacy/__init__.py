"""Who looked at whose personal data: the access log every full disclosure writes, and its readers."""
