"""Offline checks a supervisor runs on their own machine, standard library and `cryptography` only.

`python -m monitor.verify EXPORT_DIR` verifies an audit-log export (verifier.py, with
tree.py, checkpoints.py, localise.py and report.py);
`python -m monitor.verify.draw ENTRY_JSON` replays a draw of social supervisors (draw.py).
Importing this package imports no Flask and no SQLAlchemy (a test checks it).
"""
