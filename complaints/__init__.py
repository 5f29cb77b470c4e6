"""Complaint intake and the case lifecycle (12315/12345-style hotline cases)."""
