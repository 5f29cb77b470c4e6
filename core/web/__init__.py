"""Shared pieces of the server-rendered web pages: login, language, CSRF, rate limits, layout."""
