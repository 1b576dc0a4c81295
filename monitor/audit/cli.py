"""`flask audit export|checkpoint` and `flask monitor tick` (for cron, beside the in-process scheduler)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

audit_group = AppGroup("audit", help="The tamper-evident audit log.")
monitor_group = AppGroup("monitor", help="Electronic supervision.")


@audit_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
def export_command(directory: str) -> None:
    """Write entries, signed checkpoints and the platform key to DIRECTORY for `python -m monitor.verify`."""
    from monitor.audit.export import export

    manifest = export(directory)
    click.echo(f"exported {manifest['entries']} entries and {manifest['checkpoints']} checkpoints to {directory}")
    click.echo(f"verify offline: python -m monitor.verify {directory}")


@audit_group.command("checkpoint")
def checkpoint_command() -> None:
    """Sign a checkpoint of the log as it is now."""
    from monitor.audit import log as audit
    from trading.extensions import db

    cp = audit.sign_checkpoint("manual")
    db.session.commit()
    click.echo(f"checkpoint {cp.id}: size {cp.size}, root {bytes(cp.root).hex()}")


@monitor_group.command("tick")
def tick_command() -> None:
    """Run the periodic supervision work once: checkpoints due, e-supervision rules, the mail outbox."""
    from monitor.ticks import run_ticks

    results = run_ticks()
    click.echo(f"ran {len(results)} periodic tasks")
