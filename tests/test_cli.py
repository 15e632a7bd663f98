"""The `spdirectory` command line: users create / token and import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from spdirectory.accounts.models import ApiToken, User
from spdirectory.audit import AuditEvent
from spdirectory.directory.models import Activity, Organisation
from spdirectory.extensions import db

PASSWORD = "a long enough password"


def cli(app: Flask, *args: str, input: str | None = None) -> Result:
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    db.session.expire_all()
    return result


def user(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# --- users create ----------------------------------------------------------------------


def test_users_create_provider_with_new_organisation(app: Flask) -> None:
    result = cli(
        app,
        *("users", "create", "--email", "Sam@Example.ORG", "--role", "provider"),
        *("--organisation", "Hilltop Walkers", "--password", PASSWORD, "--name", "Sam"),
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Created provider sam@example.org"
    sam = user("sam@example.org")
    assert sam is not None
    assert (sam.role, sam.name, sam.organisation.name) == ("provider", "Sam", "Hilltop Walkers")
    assert sam.check_password(PASSWORD)
    # Recorded as the command line did it.
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "user")).one()
    assert (event.action, event.actor) == ("create", "cli users create")


def test_users_create_uses_an_existing_organisation(app: Flask, make: Any) -> None:
    make.organisation("Hilltop Walkers")
    make.commit()
    result = cli(
        app,
        *("users", "create", "--email", "p@example.org", "--role", "provider"),
        *("--organisation", "HILLTOP WALKERS", "--password", PASSWORD),
    )
    assert result.exit_code == 0, result.output
    assert count(Organisation) == 1
    assert user("p@example.org").organisation.name == "Hilltop Walkers"


def test_users_create_updates_an_existing_user(app: Flask, make: Any) -> None:
    make.user("link_worker", email="lee@example.org")
    make.commit()
    result = cli(
        app,
        *("users", "create", "--email", "LEE@example.org", "--role", "admin"),
        *("--password", "a brand new password"),
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Updated admin lee@example.org"
    assert count(User) == 1
    lee = user("lee@example.org")
    assert lee.role == "admin"
    assert lee.check_password("a brand new password")


def test_users_create_refuses_to_demote_the_last_admin(app: Flask, make: Any) -> None:
    make.user("admin", email="only@example.org")
    make.commit()
    result = cli(
        app,
        *("users", "create", "--email", "only@example.org", "--role", "link_worker"),
        *("--password", PASSWORD),
    )
    assert result.exit_code == 1
    assert "last" in result.output.lower() and "admin" in result.output.lower()
    assert user("only@example.org").role == "admin"

    make.user("admin", email="second@example.org")
    make.commit()
    result = cli(
        app,
        *("users", "create", "--email", "only@example.org", "--role", "link_worker"),
        *("--password", PASSWORD),
    )
    assert result.exit_code == 0, result.output
    assert user("only@example.org").role == "link_worker"


def test_users_create_prompts_for_the_password(app: Flask) -> None:
    result = cli(
        app,
        *("users", "create", "--email", "a@example.org", "--role", "admin"),
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert user("a@example.org").check_password(PASSWORD)


@pytest.mark.parametrize("organisation", [[], ["--organisation", "  "]])
def test_users_create_refuses_provider_without_organisation(
    app: Flask, organisation: list[str]
) -> None:
    result = cli(
        app,
        *("users", "create", "--email", "p@example.org", "--role", "provider"),
        *("--password", PASSWORD, *organisation),
    )
    assert result.exit_code == 1
    assert "A provider needs --organisation" in result.output
    assert user("p@example.org") is None
    assert count(Organisation) == 0


def test_users_create_refuses_short_password(app: Flask) -> None:
    result = cli(
        app,
        *("users", "create", "--email", "a@example.org", "--role", "admin"),
        *("--password", "short"),
    )
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert user("a@example.org") is None


@pytest.mark.parametrize("email", ["not-an-email", "two@@example.org", "a@b"])
def test_users_create_refuses_invalid_email(app: Flask, email: str) -> None:
    result = cli(
        app, *("users", "create", "--email", email, "--role", "admin", "--password", PASSWORD)
    )
    assert result.exit_code == 1
    assert "Invalid email address" in result.output
    assert count(User) == 0


def test_users_create_refuses_unknown_role(app: Flask) -> None:
    result = cli(
        app,
        *("users", "create", "--email", "a@example.org", "--role", "wizard"),
        *("--password", PASSWORD),
    )
    assert result.exit_code == 2  # a usage error, from click
    assert "wizard" in result.output
    assert count(User) == 0


# --- users token -----------------------------------------------------------------------


def test_users_token_authenticates_the_api(app: Flask, make: Any) -> None:
    provider = make.user("provider", email="p@example.org")
    draft = make.activity(provider.organisation, status="draft", title="Not yet public")
    make.commit()
    result = cli(app, "users", "token", " P@example.org ")
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert len(token) >= 20 and "\n" not in token
    assert count(ApiToken) == 1
    url = f"/api/v1/activities/{draft.id}"

    def get(headers: dict[str, str]) -> Any:
        # A fresh app context per request: the test's own one would share `g`, where
        # Flask-Login caches the user of the first request.
        with app.app_context():
            return app.test_client().get(url, headers=headers)

    # A draft is invisible without the owner's credentials...
    assert get({}).status_code == 404
    assert get({"Authorization": "Bearer wrong"}).status_code == 404
    # ...and visible with the printed token.
    response = get({"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["title"] == "Not yet public"
    # Each call prints a new token.
    again = cli(app, "users", "token", "p@example.org").output.strip()
    assert again != token
    assert count(ApiToken) == 2


def test_users_token_unknown_email(app: Flask) -> None:
    result = cli(app, "users", "token", "nobody@example.org")
    assert result.exit_code == 1
    assert "No user with email nobody@example.org" in result.output
    assert count(ApiToken) == 0


# --- import ----------------------------------------------------------------------------

HEADER = "external_id,organisation,title,categories,postcode,kite_mark"


def write(tmp_path: Path, name: str, *lines: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode(encoding))
    return path


def test_import_prints_counts(app: Flask, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "walks.csv",
        "w1,Walkers,Tuesday walk,walking,LS1 1AZ,",
        "w2,Walkers,Thursday walk,walking,LS1 1AZ,",
    )
    result = cli(app, "import", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2 created, 0 updated, 0 rejected, 1 new organisations"
    assert count(Activity) == 2
    # Again: the same rows are updated, not duplicated.
    result = cli(app, "import", str(path))
    assert result.stdout.strip() == "0 created, 2 updated, 0 rejected, 0 new organisations"
    assert count(Activity) == 2
    # Changes are attributed to the import.
    actors = set(db.session.scalars(select(AuditEvent.actor)))
    assert actors == {"import walks.csv"}


def test_import_reports_bad_rows_and_exits_non_zero(app: Flask, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "walks.csv",
        "w1,Walkers,Tuesday walk,walking,LS1 1AZ,",  # row 2
        "w2,Ghosts,Swim,swimming,LS1 1AZ,",  # row 3
        "",  # row 4: blank
        "w3,Walkers,,walking,LS1 1AZ,",  # row 5
    )
    result = cli(app, "import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "row 3: categories: unknown category 'swimming'",
        "row 5: title: enter a title",
    ]
    assert result.stdout.strip() == "1 created, 0 updated, 2 rejected, 1 new organisations"
    assert count(Activity) == 1
    assert list(db.session.scalars(select(Organisation.name))) == ["Walkers"]


def test_import_utf8_with_bom(app: Flask, tmp_path: Path) -> None:
    path = write(tmp_path, "excel.csv", "w1,Café Club,Coffee morning,social_group,LS1 1AZ,")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = cli(app, "import", str(path))
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(Organisation.name)).one() == "Café Club"


def test_import_non_utf8_file(app: Flask, tmp_path: Path) -> None:
    path = write(
        tmp_path, "latin.csv", "w1,Café Club,Coffee £1,social_group,LS1 1AZ,", encoding="latin-1"
    )
    result = cli(app, "import", str(path))
    assert result.exit_code == 1
    assert "latin.csv is not UTF-8 text; save it as CSV UTF-8" in result.output
    assert count(Activity) == 0


def test_import_wrong_extension(app: Flask, tmp_path: Path) -> None:
    path = write(tmp_path, "walks.txt", "w1,Walkers,Walk,walking,LS1 1AZ,")
    result = cli(app, "import", str(path))
    assert result.exit_code == 1
    assert "walks.txt: import takes a .csv file" in result.output
    assert count(Activity) == 0


def test_import_missing_file(app: Flask, tmp_path: Path) -> None:
    result = cli(app, "import", str(tmp_path / "nowhere.csv"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_import_bad_header(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("name,title\nWalkers,Walk\n")
    result = cli(app, "import", str(path))
    assert result.exit_code == 1
    assert "bad.csv: The header row lacks the column(s) categories, organisation" in result.output


def test_import_kite_marks_depend_on_who_imports(app: Flask, make: Any, tmp_path: Path) -> None:
    make.user("admin", email="admin@example.org")
    make.user("provider", email="prov@example.org")
    make.commit()
    path = write(tmp_path, "marks.csv", "w1,Walkers,Walk,walking,LS1 1AZ,awarded")

    def kite_mark() -> str:
        return db.session.scalars(select(Activity.kite_mark)).one()

    assert cli(app, "import", str(path), "--as", "prov@example.org").exit_code == 0
    assert kite_mark() == "none"
    assert cli(app, "import", str(path), "--as", "admin@example.org").exit_code == 0
    assert kite_mark() == "awarded"
    result = cli(app, "import", str(path), "--as", "nobody@example.org")
    assert result.exit_code == 1
    assert "No user with email nobody@example.org" in result.output


def test_import_without_as_is_the_operator(app: Flask, tmp_path: Path) -> None:
    path = write(tmp_path, "marks.csv", "w1,Walkers,Walk,walking,LS1 1AZ,awarded")
    result = cli(app, "import", str(path), "--source", "council")
    assert result.exit_code == 0, result.output
    walk = db.session.scalars(select(Activity)).one()
    assert (walk.kite_mark, walk.source) == ("awarded", "council")
