"""`spdirectory search …`: rebuild the search indexes and catch up on queued changes."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext


@click.group("search")
def search_group() -> None:
    """Search index maintenance."""


@search_group.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the search index from the database (the database index, and Elasticsearch
    when ELASTICSEARCH_URL is set, without downtime)."""
    from . import get_backend
    from .database import DatabaseBackend

    started = time.perf_counter()
    count = DatabaseBackend().rebuild()
    click.echo(f"database index: {count} activities in {time.perf_counter() - started:.1f} s")

    backend = get_backend()
    if backend.name == "database":
        return
    started = time.perf_counter()
    try:
        count = backend.rebuild()
    except Exception as exc:
        raise click.ClickException(f"{backend.name} index: rebuild failed: {exc}") from exc
    where = getattr(backend, "live_index", lambda: None)()
    click.echo(
        f"{backend.name} index{f' {where}' if where else ''}: {count} activities in "
        f"{time.perf_counter() - started:.1f} s"
    )


@search_group.command("process-queue")
@with_appcontext
def process_queue_command() -> None:
    """Index the activities whose changes could not reach Elasticsearch yet."""
    from . import get_backend

    backend = get_backend()
    process = getattr(backend, "process_queue", None)
    if process is None:
        click.echo("Nothing to do: the database search backend has no queue.")
        return
    done = process()
    left = backend.queue_length()  # type: ignore[attr-defined]
    click.echo(f"indexed {done} queued changes; {left} still queued")
    if left:
        raise click.ClickException(
            f"{left} changes are still queued: {backend.name} is not accepting them (see the log)"
        )


@search_group.command("status")
@with_appcontext
def status_command() -> None:
    """Show the search backend, its index and the queue."""
    from . import get_backend

    backend = get_backend()
    status = getattr(backend, "status", None)
    if status is None:
        click.echo(f"backend: {backend.name} (the index commits with the data)")
        return
    for key, value in status().items():
        click.echo(f"{key}: {value}")
