"""Survey use cases shared by the API, the pages, the CLI and the scheduler."""
