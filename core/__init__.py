"""QualityLine core: application factory (core.app), configuration, extensions, errors and staff auth."""
