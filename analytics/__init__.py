"""Analytics for QualityLine: survey statistics, indices and indicators (see ``analytics.stats``)."""
