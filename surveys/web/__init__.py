"""Survey pages: the public survey, and the staff builder, fieldwork and monitor pages."""
