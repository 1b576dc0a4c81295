"""The production server's settings. `gunicorn wsgi:app`, run from this directory, reads this file
(gunicorn's default configuration file); the command line overrides any of them.

- `gthread` workers: a live stream (SSE) holds one thread while it is open, asleep: the hub's writer
  thread sends its events (monitor/live/outlets.py). So each worker has LIVE_MAX_STREAMS threads for
  streams plus 64 for pages and uploads.
- One worker by default (`WEB_CONCURRENCY` to change it). On the embedded SQLite a second worker
  learns of the first one's commits only when it next checks the log's head (LIVE_POLL_SECONDS),
  so its streams lag by up to that; on PostgreSQL (LISTEN/NOTIFY) add workers freely.

bench/live.py and bench/submission.py run gunicorn with exactly these settings.
"""
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("LIVE_MAX_STREAMS", "1000")) + 64
worker_connections = threads + 64
