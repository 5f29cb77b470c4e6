"""Citizen and staff notices: outbox delivery through pluggable channels, templates in zh-CN and en."""
