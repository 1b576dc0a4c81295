"""CLI commands: `flask --app wsgi demo` loads demo data; `flask --app wsgi tick` makes due timed moves."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("demo")
@click.option("--force", is_flag=True, help="Load even if the database already has trades.")
@click.option("--quiet", is_flag=True, help="Say only whether the demo was loaded.")
@click.option("--summary", is_flag=True, help="Load nothing: print the demo logins and the sandbox opening.")
@click.option("--url", default=None, help="With --summary: the address the platform is served at.")
@with_appcontext
def demo_command(force: bool, quiet: bool, summary: bool, url: str | None) -> None:
    """Load the five centres, a user for every role, organisations and trades at every stage."""
    from flask import current_app

    from trading.demo import load_demo, print_summary

    if current_app.config.get("PRODUCTION"):
        raise click.ClickException("demo data with published passwords is refused in production")
    if summary:
        print_summary(click.echo, url)
        return
    if not quiet:
        click.echo("Loading the demo (keyholders' keys, sealed bids and an opening take a few seconds) ...")
    users = load_demo(force=force)
    click.echo("Demo data already present; nothing loaded (use --force to add anyway)." if users is None
               else "Demo data loaded.")
    if not quiet:
        print_summary(click.echo)


@click.command("centres")
@with_appcontext
def centres_command() -> None:
    """Create the five centres and their methods if missing, and load the shipped holiday schedules
    (the first step of a real installation)."""
    from trading.centres.data import ensure_centres
    from trading.extensions import db
    from trading.rules.holidays import calendar_end, load_schedule

    rows = ensure_centres()
    added = load_schedule()
    db.session.commit()
    click.echo(f"Holiday calendar: {added} days added; it ends on {calendar_end()}")
    for centre in rows:
        click.echo(f"{centre.code:<6} {centre.name_zh}  {', '.join(centre.methods)}")


@click.command("create-user")
@click.argument("username")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", "roles", multiple=True, required=True,
              help="ROLE or ROLE@CENTRE, e.g. decision_maker@WORKS or bidder (repeatable).")
@click.option("--organisation", default=None, help="Existing organisation name.")
@click.password_option()
@with_appcontext
def create_user_command(username, name, roles, organisation, password) -> None:
    """Create a user with roles (the separation-of-duties policy applies)."""
    import sqlalchemy as sa

    from trading.accounts.models import Organisation
    from trading.accounts.roles import Role
    from trading.accounts.services import create_user
    from trading.centres.models import Centre
    from trading.errors import DomainError
    from trading.extensions import db

    grants = []
    for spec in roles:
        role_name, _, code = spec.partition("@")
        try:
            role = Role(role_name)
        except ValueError:
            raise click.BadParameter(f"unknown role {role_name}; one of {', '.join(r.value for r in Role)}") from None
        centre_id = None
        if code:
            centre_id = db.session.scalar(sa.select(Centre.id).where(Centre.code == code))
            if centre_id is None:
                raise click.BadParameter(f"unknown centre {code}")
        grants.append((role, centre_id))
    org = None
    if organisation:
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == organisation))
        if org is None:
            raise click.BadParameter(f"no organisation named {organisation}")
    try:
        user = create_user(username, password, name, org, grants)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"created {user.username}")


@click.command("tick")
@with_appcontext
def tick_command() -> None:
    """Apply every timed move that is due, and the packages' timed work on trades (a stalled opening's
    time-out), for cron when the in-process scheduler is off."""
    from flask import current_app

    from trading.trades.services import advance_due

    done = advance_due()
    for ref, moves in done.items():
        click.echo(f"{ref}: {', '.join(moves)}")
    click.echo(f"{sum(len(m) for m in done.values())} moves applied")
    for task in current_app.extensions.get("trade_ticks", ()):
        for line in task() or ():
            click.echo(f"{task.__name__}: {line}")


@click.group("blobs")
def blobs_group() -> None:
    """The blob store (uploaded documents and sealed bids)."""


@blobs_group.command("sweep")
@click.option("--grace", type=click.FloatRange(min=0), default=None,
              help="seconds a leftover must be old (default BLOB_SWEEP_GRACE_SECONDS)")
@with_appcontext
def blobs_sweep_command(grace: float | None) -> None:
    """Remove what killed uploads left: .incoming-* files and blobs no row refers to."""
    from datetime import timedelta

    from trading.blobs import sweep_orphans

    done = sweep_orphans(None if grace is None else timedelta(seconds=grace))
    for name in done.incoming:
        click.echo(f"removed unfinished upload {name}")
    for digest in done.orphans:
        click.echo(f"removed unreferenced blob {digest}")
    click.echo(f"{len(done.incoming)} unfinished uploads and {len(done.orphans)} unreferenced blobs removed")
