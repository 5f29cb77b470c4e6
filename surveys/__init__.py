"""Surveys: versioned definitions, invitations, responses, imports/exports and the call-back (回访) loop."""
