"""Analytics API: one blueprint per area (complaints, hot spots, surveys, indicators)."""
