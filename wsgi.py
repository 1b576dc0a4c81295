"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi <command>`."""
from trading import create_app
from trading.heap import settle

app = create_app()
settle()  # a serving process: its start-up objects are set aside from the garbage collector (trading/heap.py)
