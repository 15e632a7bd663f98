"""Builders of Open Referral services and a real local HTTP server for feed tests."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

DAYS = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}


def term(taxonomy: str, code: str) -> dict[str, Any]:
    """A term of one of our published taxonomies, as the read API would give it."""
    names = {
        "category": "spdirectory activity categories",
        "need": "spdirectory needs",
        "mode": "spdirectory delivery modes",
    }
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-term:{taxonomy}:{code}")),
        "code": code,
        "name": code.replace("_", " ").title(),
        "taxonomy": names.get(taxonomy, taxonomy),
    }


def service(
    sid: str,
    name: str = "Tuesday wellbeing walk",
    org: str = "Hilltop Walkers",
    postcode: str = "LS1 1AZ",
    categories: tuple[str, ...] = ("walking",),
    needs: tuple[str, ...] = (),
    sessions: tuple[tuple[str, str, str], ...] = (("tue", "10:00", "11:00"),),
    cost: float | None = 0,
    extra_terms: tuple[dict[str, Any], ...] = (),
    **fields: Any,
) -> dict[str, Any]:
    attributes = [
        {"id": f"a-{sid}-{i}", "taxonomy_term": t}
        for i, t in enumerate(
            [term("category", c) for c in categories]
            + [term("need", n) for n in needs]
            + list(extra_terms)
        )
    ]
    data: dict[str, Any] = {
        "id": sid,
        "name": name,
        "description": f"About {name}",
        "status": "active",
        "organization": {"id": f"org-{org}", "name": org},
        "attributes": attributes,
        "schedules": [
            {
                "id": f"s-{sid}-{i}",
                "freq": "WEEKLY",
                "byday": DAYS[day],
                "opens_at": f"{opens}:00",
                "closes_at": f"{closes}:00",
            }
            for i, (day, opens, closes) in enumerate(sessions)
        ],
        "service_at_locations": [
            {
                "id": f"sal-{sid}",
                "location": {
                    "id": f"loc-{sid}",
                    "location_type": "physical",
                    "addresses": [
                        {
                            "id": f"ad-{sid}",
                            "address_1": "1 Park Lane",
                            "city": "Leeds",
                            "state_province": "West Yorkshire",
                            "postal_code": postcode,
                            "country": "GB",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ]
        if postcode
        else [],
    }
    if cost is not None:
        data["cost_options"] = [{"id": f"c-{sid}", "amount": cost}]
    data.update(fields)
    return data


def page(items: list[dict[str, Any]], number: int, total_pages: int, total: int) -> dict[str, Any]:
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": number,
        "size": len(items),
        "first_page": number == 1,
        "last_page": number == total_pages,
        "empty": not items,
        "contents": items,
    }


class FeedServer:
    """A real HTTP server on 127.0.0.1 serving `/services` pages of the given services.

    `minimal=True` lists only id and name (so the importer must fetch `/services/{id}`);
    `hooks` maps a page number to a callable returning a Response (a malformed page, a
    sleep longer than the client's timeout, …). Every request path is logged in `requests`.
    """

    def __init__(self, services: list[dict[str, Any]], per_page: int = 2) -> None:
        self.services = services
        self.per_page = per_page
        self.minimal = False
        self.hooks: dict[int, Callable[[], Response]] = {}
        self.detail_hooks: dict[str, Callable[[], Response]] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.requests.append(request.full_path)
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path.endswith("/services"):
            number = request.args.get("page", 1, type=int)
            if number in self.hooks:
                return self.hooks[number]()
            total = len(self.services)
            pages = max(1, -(-total // self.per_page))
            chunk = self.services[(number - 1) * self.per_page : number * self.per_page]
            if self.minimal:
                chunk = [
                    {"id": s["id"], "name": s["name"], "organization": s["organization"]}
                    for s in chunk
                ]
            return json_response(page(chunk, number, pages, total))
        if "/services/" in path:
            sid = path.rsplit("/", 1)[1]
            if sid in self.detail_hooks:
                return self.detail_hooks[sid]()
            for s in self.services:
                if s["id"] == sid:
                    return json_response(s)
            return json_response({"error": "not found"}, 404)
        return json_response({"error": "not found"}, 404)


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def sleeping(seconds: float) -> Callable[[], Response]:
    def hook() -> Response:
        time.sleep(seconds)
        return json_response({"contents": []})

    return hook


@contextmanager
def serve(wsgi_app: Any) -> Iterator[str]:
    """Serve a WSGI app on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
