"""Pages for finding activities: the public search page (/activities, rendered for
directory.browse), finding activities for one person (/match) and the shortlist that becomes
the person's social prescription (/shortlist).

No personal data is kept: the person's details travel only in the /match form submission
(POST, never the URL, never logged), and the shortlist in the session is a list of activity
ids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length

from .. import vocab
from ..accounts.auth import roles_required
from ..api.activities import activities_by_id
from ..db_types import utcnow
from ..directory.forms import MultiCheckboxField
from ..directory.models import Activity
from ..directory.schedule import WeeklySession, next_sessions
from ..formtools import select_choices
from ..matching import ProfileError, Scored, match, parse_person
from . import SearchBackend, SearchQuery, SearchResults, get_backend
from .demand import log_if_unmet, record
from .params import DEFAULT_WITHIN_KM, query_from_args

bp = Blueprint("search", __name__)

LINK_WORKERS = ("link_worker", "admin")
SHORTLIST_KEY = "shortlist"
SHORTLIST_MAX = 20
MATCH_LIMIT = 20
WITHIN_KM_CHOICES = (1, 2, 5, 10, 20)
SORT_LABELS = {
    "relevance": "Best match",
    "distance": "Nearest first",
    "updated": "Recently updated",
}
# The SearchQuery attribute behind each facet: its counts are worked out without the
# facet's own filter, so each option's number is what choosing it would show.
FACET_ATTRIBUTES = {
    "category": "categories",
    "need": "needs",
    "mode": "mode",
    "day": "day",
    "kite_mark": "kite_mark",
}
# Parts of the day offered on the matching form, in order (adjacent ones are merged).
DAY_PARTS: dict[str, tuple[str, str, str]] = {
    "morning": ("Morning", "09:00", "12:00"),
    "afternoon": ("Afternoon", "12:00", "17:00"),
    "evening": ("Evening", "17:00", "21:00"),
}


# ---- the search page ---------------------------------------------------------------------


@dataclass
class ResultItem:
    activity: Activity
    distance_km: float | None


def facet_counts(
    backend: SearchBackend, query: SearchQuery, results: SearchResults
) -> dict[str, dict[str, int]]:
    """Counts beside each filter option. For a facet in use, the counts come from the same
    search without that facet's filter (otherwise every other option would read 0)."""
    counts = dict(results.facets)
    for facet, attribute in FACET_ATTRIBUTES.items():
        value = getattr(query, attribute)
        if not value:
            continue
        relaxed = replace(
            query,
            **{attribute: [] if isinstance(value, list) else None},
            page=1,
            per_page=1,
            sort="relevance",
        )
        counts[facet] = backend.search(relaxed).facets.get(facet, {})
    return counts


def _error_messages(errors: dict[str, str]) -> list[tuple[str, str]]:
    """(field id, message) for the error summary, in the order of the form."""
    order = ["near", "within_km", "q", "category", "need", "day", "mode", "kite_mark"]
    order += ["available", "free", "sort", "page", "per_page"]
    messages = []
    for name in sorted(errors, key=lambda n: order.index(n) if n in order else len(order)):
        text = errors[name]
        if name == "near":
            message = text  # the postcode lookup's own message is written for people
        elif name == "within_km":
            message = "Choose a distance, and enter a postcode to search near"
        elif name == "sort":
            message = "Choose how to sort the results"
        elif name in ("page", "per_page"):
            message = "The page number was not understood, so the first page is shown"
        else:
            message = f"Some filters were not understood and were ignored ({text})"
        messages.append((name if name in ("near", "within_km", "sort") else "filters", message))
    return messages


def _url_with(**changes: Any) -> str:
    """This search page's URL with some parameters changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = [str(value)]
    return url_for("directory.browse", **args)


def search_page() -> str:
    """The public search page (directory.browse at /activities)."""
    config = current_app.config
    args = request.args.copy()
    if not (args.get("near") or "").strip():
        # The form always sends a distance, and may still say "nearest first" after the
        # postcode was cleared: without a postcode both mean nothing, so are not errors.
        args.pop("within_km", None)
        if args.get("sort") == "distance":
            args.pop("sort")
    query, errors, place = query_from_args(
        args, per_page=config["PER_PAGE"], max_per_page=config["MAX_PER_PAGE"]
    )
    backend = get_backend()
    results = backend.search(query)
    if not errors:
        # Only a search we fully understood says something about unmet demand.
        log_if_unmet("search", query, results, place)
    found = activities_by_id([hit.activity_id for hit in results.hits])
    items = [
        ResultItem(found[hit.activity_id], hit.distance_km)
        for hit in results.hits
        if hit.activity_id in found
    ]
    pages = max(1, math.ceil(results.total / query.per_page))
    markers = [
        {
            "lat": item.activity.latitude,
            "lon": item.activity.longitude,
            "label": item.activity.title,
            "url": url_for("directory.activity", activity_id=item.activity.id),
        }
        for item in items
        if item.activity.latitude is not None and item.activity.longitude is not None
    ]
    within = request.args.get("within_km") or ""
    within_choices = [str(km) for km in WITHIN_KM_CHOICES]
    if within and within not in within_choices and "within_km" not in errors:
        within_choices.append(within)  # keep a distance given in the URL
    return render_template(
        "directory/browse.html",
        query=query,
        results=results,
        items=items,
        facets=facet_counts(backend, query, results),
        errors=errors,
        error_messages=_error_messages(errors),
        place=place,
        near=(request.args.get("near") or "").strip()[:20],
        within=within or f"{DEFAULT_WITHIN_KM:g}",
        within_choices=within_choices,
        sort_labels=SORT_LABELS,
        page_count=pages,
        map_view=request.args.get("view") == "map",
        markers=markers,
        shortlist_ids=shortlist_ids(),
        url_with=_url_with,
    )


# ---- the shortlist -------------------------------------------------------------------


def shortlist_ids() -> list[int]:
    raw = session.get(SHORTLIST_KEY) or []
    return [i for i in raw if isinstance(i, int)][:SHORTLIST_MAX]


def _save_shortlist(ids: list[int]) -> None:
    session[SHORTLIST_KEY] = ids[:SHORTLIST_MAX]


def add_to_shortlist(activity_id: int) -> tuple[bool, str]:
    """(added, message). Only published activities can be shortlisted."""
    activity = activities_by_id([activity_id]).get(activity_id)
    if activity is None or activity.status != "published":
        return False, "That activity is no longer listed."
    ids = shortlist_ids()
    if activity_id in ids:
        return False, f"“{activity.title}” is already on the shortlist."
    if len(ids) >= SHORTLIST_MAX:
        return False, (
            f"The shortlist already has {SHORTLIST_MAX} activities. "
            "Remove one before adding another."
        )
    _save_shortlist([*ids, activity_id])
    return True, f"“{activity.title}” added to the shortlist ({len(ids) + 1} of {SHORTLIST_MAX})."


def remove_from_shortlist(activity_id: int) -> None:
    _save_shortlist([i for i in shortlist_ids() if i != activity_id])


def _activity_id_from_form() -> int:
    raw = request.form.get("activity_id", "")
    if not raw.isdigit():
        abort(400, "Choose an activity.")
    return int(raw)


def _safe_next(default: str) -> str:
    """A same-site path to go back to (never another host)."""
    target = request.form.get("next") or ""
    parts = urlsplit(target)
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or parts.scheme
        or parts.netloc
    ):
        return default
    return target


def _back_to(activity_id: int) -> str:
    """Back to the page the button was on, scrolled to the same result."""
    target = _safe_next("")
    if not target:
        return url_for("search.shortlist")
    return target.split("#")[0] + f"#result-{activity_id}"


@bp.after_request
def _no_store(response: Response) -> Response:
    # The matching form and the shortlist are about one person: keep them out of caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/shortlist")
@roles_required(*LINK_WORKERS)
def shortlist() -> Any:
    ids = shortlist_ids()
    found = activities_by_id(ids)
    activities = [found[i] for i in ids if i in found and found[i].status == "published"]
    gone = len(ids) - len(activities)
    if gone:
        _save_shortlist([a.id for a in activities])
    today = utcnow().replace(tzinfo=None)
    upcoming = {
        a.id: next_sessions(
            [WeeklySession(s.day_index, s.starts, s.ends) for s in a.sessions], today, count=2
        )
        for a in activities
    }
    return render_template(
        "search/shortlist.html",
        activities=activities,
        upcoming=upcoming,
        gone=gone,
        today=today,
        maximum=SHORTLIST_MAX,
        mailto=shortlist_mailto(activities, upcoming),
    )


def shortlist_mailto(activities: list[Activity], upcoming: dict[int, list[Any]]) -> str:
    """A mailto: link holding the shortlist as plain text. The link worker's own email
    program sends it, to an address typed there, so the person's address is never stored
    here."""
    lines = [
        "Activities chosen for you",
        "Places and times change: please contact an activity before you go.",
        "",
    ]
    for number, a in enumerate(activities, start=1):
        lines.append(f"{number}. {a.title} ({a.organisation.name})")
        if upcoming.get(a.id):
            times = "; ".join(f"{day:%A %-d %B}, {s.starts:%H:%M}" for day, s in upcoming[a.id])
            lines.append(f"Next: {times}")
        where = ", ".join(part for part in (a.address, a.postcode) if part)
        if where and "in_person" in a.modes:
            lines.append(f"Where: {where}")
        org = a.organisation
        contact = a.phone or a.email or org.phone or org.email
        if contact:
            lines.append(f"Contact: {contact}")
        lines += [url_for("directory.activity", activity_id=a.id, _external=True), ""]
    fields = {"subject": "Activities chosen for you", "body": "\n".join(lines)}
    return "mailto:?" + urlencode(fields, quote_via=quote)


@bp.post("/shortlist/add")
@roles_required(*LINK_WORKERS)
def shortlist_add() -> Any:
    activity_id = _activity_id_from_form()
    added, message = add_to_shortlist(activity_id)
    flash(message, "success" if added else "warning")
    return redirect(_back_to(activity_id))


@bp.post("/shortlist/remove")
@roles_required(*LINK_WORKERS)
def shortlist_remove() -> Any:
    activity_id = _activity_id_from_form()
    if activity_id in shortlist_ids():
        remove_from_shortlist(activity_id)
        flash("Removed from the shortlist.", "success")
    return redirect(_back_to(activity_id))


@bp.post("/shortlist/clear")
@roles_required(*LINK_WORKERS)
def shortlist_clear() -> Any:
    _save_shortlist([])
    flash("The shortlist is now empty.", "success")
    return redirect(url_for("search.shortlist"))


# ---- finding activities for a person ---------------------------------------------------


def availability_choices() -> list[tuple[str, str]]:
    return [
        (f"{day}-{part}", f"{day_label} {part_label.lower()}")
        for day, day_label in vocab.DAYS.items()
        for part, (part_label, _, _) in DAY_PARTS.items()
    ]


class MatchForm(FlaskForm):
    postcode = StringField(
        "Postcode",
        description="Where they would travel from. Not needed if they will only take part "
        "online or by phone.",
        validators=[Length(max=20, message="Enter a postcode, for example LS1 1AZ")],
    )
    max_distance_km = SelectField(
        "How far can they travel?",
        choices=select_choices([(str(km), f"Up to {km} km") for km in WITHIN_KM_CHOICES]),
        default="5",
    )
    needs = MultiCheckboxField(
        "What matters to them",
        description="Select all that apply.",
        choices=select_choices(vocab.NEEDS),
    )
    interests = StringField(
        "Interests",
        description="In a few words, for example: singing, gardening, football.",
        validators=[Length(max=500, message="Interests must be 500 characters or fewer")],
    )
    age = StringField("Age", description="In years. Leave empty if you prefer not to say.")
    availability = MultiCheckboxField(
        "When are they free?",
        description="Leave all empty if any time suits them. Morning is 9am to 12pm, "
        "afternoon 12pm to 5pm, evening 5pm to 9pm.",
        choices=select_choices(availability_choices()),
    )
    modes = MultiCheckboxField(
        "Ways they can take part",
        choices=select_choices(vocab.MODES),
        default=list(vocab.MODES),
    )
    wheelchair = BooleanField("Needs wheelchair access")
    free_only = BooleanField("Free activities only")
    language = StringField(
        "Language",
        description="Only if they need an activity in a language other than English, "
        "for example Polish.",
        validators=[Length(max=60, message="Enter the name of one language")],
    )


# Which form field shows each ProfileError key.
PROFILE_FIELDS = {
    "postcode": "postcode",
    "max_distance_km": "max_distance_km",
    "needs": "needs",
    "interests": "interests",
    "age": "age",
    "modes": "modes",
    "requires.languages": "language",
    "requires.wheelchair": "wheelchair",
    "requires.free": "free_only",
}


def _windows(chosen: list[str]) -> list[dict[str, str]]:
    """Availability in the API's shape; adjacent parts of a day become one window, so a
    session from 11:00 to 13:00 fits someone free all morning and afternoon."""
    windows: list[dict[str, str]] = []
    for day in vocab.DAYS:
        current: dict[str, str] | None = None
        for part, (_, start, end) in DAY_PARTS.items():
            if f"{day}-{part}" not in chosen:
                current = None
                continue
            if current is not None and current["to"] == start:
                current["to"] = end
            else:
                current = {"day": day, "from": start, "to": end}
                windows.append(current)
    return windows


def person_body(form: MatchForm) -> dict[str, Any]:
    """The match request in the API's shape (docs/api.md). An age that is not a number is
    put on the form as an error (and left out here, so other problems are found too)."""
    age: int | None = None
    raw_age = (form.age.data or "").strip()
    if raw_age:
        if raw_age.isdigit() and int(raw_age) <= 120:
            age = int(raw_age)
        else:
            form.age.errors = [*form.age.errors, "Enter their age in whole years, like 45"]
    language = (form.language.data or "").strip()
    return {
        "postcode": (form.postcode.data or "").strip() or None,
        "max_distance_km": float(form.max_distance_km.data or DEFAULT_WITHIN_KM),
        "needs": list(form.needs.data or []),
        "interests": (form.interests.data or "").strip(),
        "age": age,
        "availability": _windows(list(form.availability.data or [])),
        "modes": list(form.modes.data or []),
        "requires": {
            "wheelchair": bool(form.wheelchair.data),
            "free": bool(form.free_only.data),
            "languages": [language] if language else [],
        },
        "limit": MATCH_LIMIT,
    }


def _show_profile_errors(form: MatchForm, exc: ProfileError) -> None:
    for key, message in exc.fields.items():
        name = PROFILE_FIELDS.get(key, "availability" if key.startswith("availability") else "")
        if key == "postcode" and not (form.postcode.data or "").strip():
            message = (
                "Enter their postcode, or untick “In person” if they will only take part "
                "online or by phone"
            )
        elif key == "modes":
            message = "Select at least one way they can take part"
        elif key.startswith("availability"):
            message = "Choose the times when they are free again"
        message = message[:1].upper() + message[1:]
        field = getattr(form, name, None) if name else None
        if field is None:
            form.form_errors.append(message)
        elif message not in field.errors:
            field.errors = [*field.errors, message]


def _log_unmet_match(body: dict[str, Any], person: Any, results: list[Scored]) -> None:
    """Record a match that found nothing (with space) for the gap reports: the needs, ways
    and distance, and the postcode district only. Free text is left out: it may say who
    the person is."""
    if results and any(r.candidate.spare_places or r.candidate.waitlist_open for r in results):
        return
    from ..geo import postcode_district

    record(
        "match",
        text="",
        filters={
            "need": body["needs"],
            "modes": body["modes"],
            "max_distance_km": body["max_distance_km"],
        },
        district=postcode_district(person.postcode) if person.postcode else "",
        results=len(results),
        outcome="nothing" if not results else "none_available",
    )


@bp.route("/match", methods=["GET", "POST"])
@roles_required(*LINK_WORKERS)
def match_page() -> Any:
    form = MatchForm()
    results: list[Scored] | None = None
    notice = None
    if form.validate_on_submit():
        # A shortlist button inside the results re-sends the person's details, so the
        # results can be shown again without storing them anywhere.
        adding = request.form.get("add", "")
        removing = request.form.get("remove", "")
        if adding.isdigit():
            _, notice = add_to_shortlist(int(adding))
        elif removing.isdigit():
            remove_from_shortlist(int(removing))
            notice = "Removed from the shortlist."
        body = person_body(form)
        try:
            person = parse_person(body)
        except ProfileError as exc:
            _show_profile_errors(form, exc)
        else:
            if not form.age.errors:
                results = match(person)
                if not (adding or removing):
                    _log_unmet_match(body, person, results)
    activities = activities_by_id([r.candidate.activity_id for r in results or []])
    return render_template(
        "search/match.html",
        form=form,
        results=results,
        activities=activities,
        notice=notice,
        shortlist_ids=shortlist_ids(),
        day_parts=DAY_PARTS,
    )
