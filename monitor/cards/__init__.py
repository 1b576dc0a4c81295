"""E-supervision: the norms engine and the yellow and red cards it issues, with their pages and API."""
