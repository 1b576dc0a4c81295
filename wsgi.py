"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi <command>`."""
from trading import create_app

app = create_app()
