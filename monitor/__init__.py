"""The supervision plane: audit log, live streams, e-supervision cards, social supervisors.

Importing this package imports nothing else, so `python -m monitor.verify` needs only `cryptography`.
"""
