"""Recording an unmet need in the browser: the full form (/unmet-needs/new) and the small
one-step form the search and match pages show link workers, prefilled from what they were
looking for (`record_unmet_need(...)` in templates)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from .. import vocab
from ..accounts.auth import roles_required
from ..extensions import db
from ..geo.postcodes import InvalidPostcode
from ..referrals.services import district_of
from . import services
from .forms import UnmetNeedForm

bp = Blueprint("unmet_needs", __name__, url_prefix="/unmet-needs")
# Field names carry a prefix ("unmet-needs"), so the small form never clashes with the
# match form's own fields (ids, names) on the same page.
PREFIX = "unmet"


def _district(place: str | None) -> str:
    """The district of what was typed (postcode, district), or '' when it is neither."""
    try:
        return district_of(place.strip()) if place and place.strip() else ""
    except InvalidPostcode:
        return ""


def _safe_next(value: str | None) -> str | None:
    """Only a path on this site (no scheme, no host) is followed after saving."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return None
    return value


def prefilled_form(
    needs: Any = (),
    categories: Any = (),
    postcode: str | None = None,
    source: str = "form",
    next_url: str | None = None,
) -> UnmetNeedForm:
    """A form filled from the current search or match, never from the request's own data
    (the match page is itself a POST: its fields must not leak into this form)."""
    return UnmetNeedForm(
        formdata=None,
        prefix=PREFIX,
        data={
            "needs": [n for n in needs or () if n in vocab.NEEDS],
            "categories": [c for c in categories or () if c in vocab.CATEGORIES],
            "postcode_district": _district(postcode),
            "source": source,
            "next": _safe_next(next_url) or "",
        },
    )


def record_unmet_need(
    needs: Any = (),
    categories: Any = (),
    postcode: str | None = None,
    source: str = "search",
    open: bool = False,
    next_url: str | None = None,
) -> Markup:
    """The one-step form for the search and match pages; nothing for other users."""
    if not services.can_record(current_user):
        return Markup("")
    if next_url is None:
        next_url = request.full_path if request.method == "GET" else request.path
    form = prefilled_form(needs, categories, postcode, source, next_url.rstrip("?"))
    return Markup(
        render_template("unmet_needs/_record.html", unmet_form=form, open=open, vocab=vocab)
    )


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"record_unmet_need": record_unmet_need}


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*services.RECORDERS)
def new() -> Any:
    if request.method == "GET":
        form = prefilled_form(
            request.args.getlist("need"),
            request.args.getlist("category"),
            request.args.get("postcode") or request.args.get("near"),
            request.args.get("source") or "form",
            request.args.get("next"),
        )
        return render_template("unmet_needs/new.html", form=form)
    form = UnmetNeedForm(prefix=PREFIX)
    if form.validate_on_submit():
        clean, errors = services.validate(form.raw())
        if clean is not None:
            services.record(current_user, clean)
            db.session.commit()
            flash(
                "Unmet need recorded. It counts towards the capacity-gap reports, "
                "without any details about the person.",
                "success",
            )
            return redirect(_safe_next(form.next.data) or url_for("unmet_needs.new"))
        for name, message in errors.items():
            field = getattr(form, name if name != "postcode" else "postcode_district")
            field.errors = [*field.errors, message[:1].upper() + message[1:]]
    return render_template("unmet_needs/new.html", form=form)
