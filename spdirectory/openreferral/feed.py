"""Pull a remote Open Referral (ORUK 3 / HSDS 3) API: walk `/services` page by page, fetch
full services where the list is minimal, and import them (`spdirectory import-feed URL`).

Every request has a timeout and is retried with exponential backoff on timeouts, connection
errors and 429/5xx answers. A page that cannot be had or read stops the walk with a message
naming the page and what was wrong; records already read are kept, and nothing is archived
because the feed was not read to the end. A service whose details cannot be fetched is a
bad record (reported, nothing of it stored); the walk goes on.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import click
import httpx
from flask import current_app
from flask.cli import with_appcontext

from .importer import Unreadable

USER_AGENT = "spdirectory-feed/1.0 (+Open Referral UK importer)"
# Keys that only a full service has; a list item with none of them is minimal.
FULL_KEYS = ("service_at_locations", "attributes", "schedules", "cost_options", "contacts")
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_PAGES = 100_000


class FeedError(Exception):
    """The feed cannot be read on: says which page (or request) and what was wrong."""


@dataclass
class FeedSettings:
    timeout: float = 10.0  # seconds for each request (connect and read)
    retries: int = 3  # tries after the first one
    backoff: float = 0.5  # seconds before the first retry, doubled each time
    per_page: int = 100
    details: str = "auto"  # fetch /services/{id}: auto (when minimal), always, never

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **overrides: Any) -> FeedSettings:
        settings = cls(
            timeout=float(config.get("OPENREFERRAL_FEED_TIMEOUT", cls.timeout)),
            retries=max(0, int(config.get("OPENREFERRAL_FEED_RETRIES", cls.retries))),
            backoff=float(config.get("OPENREFERRAL_FEED_BACKOFF", cls.backoff)),
            per_page=int(config.get("OPENREFERRAL_FEED_PER_PAGE", cls.per_page)),
        )
        for key, value in overrides.items():
            if value is not None:
                setattr(settings, key, value)
        return settings


def services_url(url: str) -> str:
    """The feed's `/services` URL, whether given the API root or `/services` itself."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FeedError(f"“{url}” is not an http(s) URL of an Open Referral API")
    path = parts.path.rstrip("/")
    if not path.endswith("/services"):
        path += "/services"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def default_label(url: str) -> str:
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    path = path.removesuffix("/services")
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


class FeedReader:
    """Iterates over a feed's services as (number, label, service or error text)."""

    def __init__(
        self,
        url: str,
        settings: FeedSettings | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = services_url(url)
        self.settings = settings or FeedSettings()
        self.client = client or httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=True,
        )
        self._own_client = client is None
        self.sleep = sleep
        self.failure = ""  # why the walk stopped early ("" when it read every page)
        self.pages_read = 0
        self.total_items: int | None = None
        self.on_total: Callable[[int], None] | None = None

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def __enter__(self) -> FeedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ------------------------------------------------------------------------
    def get_json(self, url: str, params: dict[str, Any] | None, what: str) -> Any:
        settings = self.settings
        last = ""
        for attempt in range(settings.retries + 1):
            if attempt:
                self.sleep(settings.backoff * 2 ** (attempt - 1))
            try:
                response = self.client.get(url, params=params, timeout=settings.timeout)
            except httpx.TimeoutException:
                last = f"no answer within {settings.timeout:g} s"
                continue
            except httpx.TransportError as exc:
                last = f"could not connect ({exc.__class__.__name__}: {exc})"
                continue
            if response.status_code in RETRY_STATUSES:
                last = f"HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                raise FeedError(f"{what} ({response.url}): HTTP {response.status_code}")
            try:
                return response.json()
            except ValueError as exc:
                raise FeedError(f"{what} ({response.url}): not JSON ({exc})") from None
        tries = settings.retries + 1
        raise FeedError(f"{what} ({url}): {last} (tried {tries} time{'s' * (tries > 1)})")

    # -- the walk ------------------------------------------------------------------------
    def __iter__(self) -> Iterator[tuple[int, str, Any]]:
        number = 0
        page = 1
        try:
            while True:
                params = {"page": page, "per_page": self.settings.per_page}
                if self.settings.details != "never":
                    params["full"] = "true"  # ORUK: ask for nested services in the list
                data = self.get_json(self.url, params, f"page {page}")
                contents = self._check_page(data, page)
                self.pages_read = page
                for index, item in enumerate(contents, start=1):
                    number += 1
                    label = f"page {page}, record {index}"
                    yield number, label, self._full(item, label)
                if data.get("last_page") is True or not contents:
                    break
                total_pages = data.get("total_pages")
                if isinstance(total_pages, int) and page >= total_pages:
                    break
                page += 1
                if page > MAX_PAGES:
                    raise FeedError(f"page {page}: more than {MAX_PAGES:,} pages; stopped")
        except FeedError as exc:
            self.failure = str(exc)

    def _check_page(self, data: Any, page: int) -> list[Any]:
        where = f"page {page} ({self.url}?page={page})"
        if not isinstance(data, Mapping):
            raise FeedError(f"{where}: expected a page object, got a JSON {type(data).__name__}")
        contents = data.get("contents")
        if not isinstance(contents, list):
            raise FeedError(f"{where}: the page has no “contents” list")
        number = data.get("page_number")
        if isinstance(number, int) and number != page:
            raise FeedError(f"{where}: the feed answered with page_number {number}")
        for key in ("total_pages", "total_items"):
            if key in data and not isinstance(data[key], int):
                raise FeedError(f"{where}: “{key}” must be a whole number")
        if page == 1 and isinstance(data.get("total_items"), int):
            self.total_items = data["total_items"]
            if self.on_total:
                self.on_total(data["total_items"])
        return contents

    def _full(self, item: Any, label: str) -> Any:
        """The full service for a list item: fetched from /services/{id} when minimal."""
        if not isinstance(item, Mapping) or self.settings.details == "never":
            return item
        minimal = not any(key in item for key in FULL_KEYS)
        if self.settings.details == "auto" and not minimal:
            return item
        service_id = str(item.get("id") or "").strip()
        if not service_id:
            return item  # reported as a record without an id
        try:
            detail = self.get_json(f"{self.url}/{service_id}", None, "service details")
        except FeedError as exc:
            return Unreadable(exc)
        if not isinstance(detail, Mapping) or str(detail.get("id", "")) != service_id:
            return Unreadable(f"service details (/services/{service_id}) are not that service")
        return detail


def pull_feed(
    url: str,
    *,
    source_label: str | None = None,
    settings: FeedSettings | None = None,
    archive_missing: bool = True,
    progress: Any = None,
    client: httpx.Client | None = None,
) -> Any:
    """Walk the feed at `url` and import it into the source `source_label` (default: the
    URL). Returns the AggregateReport; `report.complete` is False when a page failed."""
    from .importer import import_services, source_for
    from .mapping import mapping_for_app

    mapping = mapping_for_app(current_app.config)
    label = source_label or default_label(url)
    with FeedReader(url, settings, client=client) as reader:
        source = source_for(label, "feed", url)
        if progress is not None:
            reader.on_total = progress.reset
        return import_services(
            reader,
            source=source,
            mapping=mapping,
            archive_missing=archive_missing,
            progress=progress.update if progress is not None else None,
            stop=lambda: reader.failure,
        )


@click.command("import-feed")
@click.argument("url")
@click.option("--source", "source_label", default=None, help="Source label (default: the URL).")
@click.option(
    "--timeout", type=click.FloatRange(0.1, 600), default=None, help="Seconds per request."
)
@click.option(
    "--retries", type=click.IntRange(0, 20), default=None, help="Retries after a failed request."
)
@click.option("--per-page", type=click.IntRange(1, 1000), default=None)
@click.option(
    "--details",
    type=click.Choice(["auto", "always", "never"]),
    default=None,
    help="Fetch /services/{id}: when the list is minimal (auto), always, or never.",
)
@click.option("--no-archive", is_flag=True, help="Keep listings that are no longer in the feed.")
@with_appcontext
def import_feed_command(
    url: str,
    source_label: str | None,
    timeout: float | None,
    retries: int | None,
    per_page: int | None,
    details: str | None,
    no_archive: bool,
) -> None:
    """Pull an Open Referral UK API (its root or /services URL) and import its services."""
    from tqdm import tqdm

    from ..audit import acting_as
    from ..directory.importer import ImportFileError
    from .importer import print_errors
    from .mapping import MappingError

    settings = FeedSettings.from_config(
        current_app.config, timeout=timeout, retries=retries, per_page=per_page, details=details
    )
    try:
        label = source_label or default_label(url)
        services_url(url)
    except FeedError as exc:
        raise click.ClickException(str(exc)) from None
    with (
        acting_as(label=f"import-feed {label}"[:200]),
        tqdm(unit="service", disable=not sys.stderr.isatty()) as bar,
    ):
        try:
            report = pull_feed(
                url,
                source_label=label,
                settings=settings,
                archive_missing=not no_archive,
                progress=bar,
            )
        except (MappingError, ImportFileError, FeedError) as exc:
            raise click.ClickException(str(exc)) from None
    print_errors(report, lambda line: click.echo(line, err=True))
    if not report.complete:
        click.echo(
            f"Error: the feed could not be read to the end: {report.stopped_because}", err=True
        )
    click.echo(report.summary())
    if report.errors or not report.complete:
        sys.exit(1)
