"""The audit log: capture of every change, the RFC 9162 tree, signed checkpoints, the export, its pages and API.

Importing this package imports nothing else: the offline verifier uses `monitor.audit.merkle` alone.
"""
