"""`flask signing-keys`: show each purpose's configured and published key; publish them at set-up."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from trading.platform_keys import services

signing_keys_command = AppGroup("signing-keys", help="The platform's receipt and audit-checkpoint signing keys.")


@signing_keys_command.command("show")
def show() -> None:
    """Each purpose: the key id this host is configured with, and the published one."""
    for purpose in services.PURPOSES:
        mine = services.key_id(services.raw_public(services.configured_key(purpose)))
        row = services.published(purpose)
        if row is None:
            click.echo(f"{purpose}: this host {mine}; none published yet (the first signature publishes it)")
        else:
            verdict = "same" if row.key_id == mine else "DIFFERENT: this host refuses to sign"
            click.echo(f"{purpose}: this host {mine}; published {row.key_id} at {row.published_at.isoformat()} "
                       f"({verdict})")


@signing_keys_command.command("publish")
def publish() -> None:
    """Publish this host's keys where none is published yet (run once at set-up, after `flask db upgrade`);
    fails if a different key is already published."""
    from trading.extensions import db

    failed = False
    for purpose in services.PURPOSES:
        try:
            services.signer(purpose)
        except services.SigningKeyMismatch as exc:
            db.session.rollback()
            click.echo(f"{purpose}: {exc.message}", err=True)
            failed = True
            continue
        db.session.commit()
        click.echo(f"{purpose}: published {services.published(purpose).key_id}")
    if failed:
        raise click.exceptions.Exit(1)
