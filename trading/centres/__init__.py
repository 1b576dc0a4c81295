"""The five trading centres of the platform, kept as data."""
