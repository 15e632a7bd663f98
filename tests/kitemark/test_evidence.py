"""Evidence uploads: checked by content (not extension), size-limited, stored in the instance
folder, and served only to the organisation's users and reviewers/admins."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from spdirectory.extensions import db
from spdirectory.kitemark import services
from spdirectory.kitemark.models import KitemarkEvidence
from tests.accounts.helpers import signed_in

from .conftest import EXE, PDF, PNG, TEXT, World


def upload(app: Flask, w: World, content: bytes, name: str, code: str = "safeguarding") -> tuple:
    application = services.start_application(w.provider)
    db.session.commit()
    client = app.test_client()
    token = signed_in(client, w.provider.email)
    response = client.post(
        f"/kite-mark/applications/{application.id}/edit",
        data={
            "csrf_token": token,
            "action": "save",
            f"evidence-{code}": (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
    )
    return response, application.id


def evidence_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(KitemarkEvidence.id))) or 0


def stored_files(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "kitemark-evidence"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (TEXT, "policy.pdf"),  # a text file called .pdf
        (EXE, "insurance.pdf"),  # a program called .pdf
        (TEXT, "certificate.png"),  # text renamed as an image
        (EXE, "photo.jpg"),
    ],
)
def test_wrong_content_is_refused_whatever_the_name(
    app: Flask, world: World, content: bytes, name: str
) -> None:
    response, _ = upload(app, world, content, name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "is not a PDF, or a PNG, JPEG, GIF or WebP image" in page
    assert 'href="#evidence-safeguarding"' in page  # in the error summary
    assert evidence_count() == 0
    assert stored_files(app) == []


def test_oversized_file_is_refused(app: Flask, world: World) -> None:
    app.config["KITEMARK_EVIDENCE_MAX_BYTES"] = 100 * 1024
    big = PDF + b"0" * (100 * 1024)
    response, _ = upload(app, world, big, "policy.pdf")
    assert response.status_code == 422
    assert "is larger than 100 KB" in response.get_data(as_text=True)
    assert evidence_count() == 0
    assert stored_files(app) == []  # the partial file is gone too


def test_a_file_at_the_limit_is_accepted(app: Flask, world: World) -> None:
    app.config["KITEMARK_EVIDENCE_MAX_BYTES"] = 100 * 1024
    exact = PDF + b"0" * (100 * 1024 - len(PDF))
    response, _ = upload(app, world, exact, "policy.pdf")
    assert response.status_code == 302
    assert evidence_count() == 1


def test_empty_file_is_refused(app: Flask, world: World) -> None:
    response, _ = upload(app, world, b"", "policy.pdf")
    assert response.status_code == 422
    assert "The selected file is empty" in response.get_data(as_text=True)


def test_a_renamed_image_is_stored_as_what_it_is(app: Flask, world: World) -> None:
    response, _ = upload(app, world, PNG, "certificate.pdf")
    assert response.status_code == 302
    item = db.session.scalars(select(KitemarkEvidence)).one()
    assert (item.content_type, item.filename) == ("image/png", "certificate.png")
    files = stored_files(app)
    assert len(files) == 1 and files[0].read_bytes() == PNG
    # Under the instance folder, never under static/.
    assert Path(app.instance_path) in files[0].parents
    assert Path(app.static_folder or "static").resolve() not in files[0].resolve().parents

    client = app.test_client()
    signed_in(client, world.provider.email)
    served = client.get(f"/kite-mark/evidence/{item.id}")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.data == PNG
    assert "attachment" in served.headers["Content-Disposition"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "no-store"
    served.close()


def test_a_question_without_evidence_takes_no_upload(app: Flask, world: World) -> None:
    response, _ = upload(app, world, PDF, "x.pdf", code="insurance_expiry")
    assert response.status_code == 422
    assert evidence_count() == 0


def test_evidence_is_served_only_to_the_organisation_and_reviewers(
    app: Flask, world: World
) -> None:
    response, _ = upload(app, world, PDF, "policy.pdf")
    assert response.status_code == 302
    item_id = db.session.scalars(select(KitemarkEvidence.id)).one()
    url = f"/kite-mark/evidence/{item_id}"
    expected = {
        world.provider.email: 200,
        world.reviewer.email: 200,
        world.member_reviewer.email: 200,  # belongs to the organisation
        world.admin.email: 200,
        world.other_provider.email: 404,  # not even told it exists
        world.link_worker.email: 403,
        world.panel.email: 403,
    }
    got = {}
    for email in expected:
        client = app.test_client()
        signed_in(client, email)
        response = client.get(url)
        got[email] = response.status_code
        response.close()  # a served file stays open until the response is closed
    assert got == expected
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.location


def test_removing_evidence_deletes_the_file(app: Flask, world: World) -> None:
    response, application_id = upload(app, world, PDF, "policy.pdf")
    assert response.status_code == 302
    item_id = db.session.scalars(select(KitemarkEvidence.id)).one()
    client = app.test_client()
    token = signed_in(client, world.provider.email)
    removed = client.post(
        f"/kite-mark/applications/{application_id}/evidence/{item_id}/delete",
        data={"csrf_token": token},
    )
    assert removed.status_code == 302
    assert evidence_count() == 0
    assert stored_files(app) == []
