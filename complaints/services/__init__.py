"""Complaint use cases: plain typed functions shared by the API, the CLI and the scheduler."""
