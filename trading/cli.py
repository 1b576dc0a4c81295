"""CLI commands: `flask --app wsgi demo` loads demo data; `flask --app wsgi tick` makes due timed moves."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("demo")
@click.option("--force", is_flag=True, help="Load even if the database already has trades.")
@with_appcontext
def demo_command(force: bool) -> None:
    """Load the five centres, a user for every role, organisations and trades in several stages."""
    from trading.demo import DEMO_PASSWORD, load_demo

    users = load_demo(force=force)
    if users is None:
        click.echo("Demo data already present; nothing loaded (use --force to add anyway).")
    else:
        click.echo("Demo data loaded.")
    from trading.demo import print_logins

    print_logins(click.echo)
    click.echo(f"All demo passwords: {DEMO_PASSWORD}")


@click.command("tick")
@with_appcontext
def tick_command() -> None:
    """Apply every timed move that is due (for cron when the in-process scheduler is off)."""
    from trading.trades.services import advance_due

    done = advance_due()
    for ref, moves in done.items():
        click.echo(f"{ref}: {', '.join(moves)}")
    click.echo(f"{sum(len(m) for m in done.values())} moves applied")
