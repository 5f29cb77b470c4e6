"""Server-rendered pages for citizens (site) and staff (workbench), on the same services as the API."""
