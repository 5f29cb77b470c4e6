"""HTTP blueprints of the complaints package."""
