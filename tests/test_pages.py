import re


def login(client, email, password="correct horse battery"):
    html = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    r = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]


def test_pages(app, client, make):
    org = make.organisation("Org A")
    prov = make.user("provider", email="p@example.org", organisation=org)
    make.user("admin", email="a@example.org")
    a = make.activity(org, title="Tuesday walk")
    make.activity(org, title="Old one", capacity_updated_at=make.days_ago(40))
    make.commit()
    for url in [
        "/",
        "/activities",
        f"/activities/{a.id}",
        f"/organisations/{org.id}",
        "/kite-mark",
        "/sign-in",
        "/activities?category=walking&available=true&page=2",
    ]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.get_data(as_text=True)[:3000])
    login(client, "p@example.org")
    for url in [
        "/manage/",
        f"/manage/activities/{a.id}/edit",
        "/manage/activities/new",
        f"/manage/activities/{a.id}/history",
        "/manage/organisation",
        "/account",
    ]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.get_data(as_text=True)[:3000])
    html = client.get("/manage/").get_data(as_text=True)
    assert "Stale" in html
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    r = client.post(
        f"/manage/activities/{a.id}/capacity",
        data={"spare_places": "7", "waitlist": "y", "csrf_token": token},
    )
    assert r.status_code == 302
    r = client.get(f"/activities/{a.id}")
    assert "7 places free" in r.get_data(as_text=True)
    # edit via form
    html = client.get(f"/manage/activities/{a.id}/edit").get_data(as_text=True)
    r = client.post(
        f"/manage/activities/{a.id}/edit",
        data={
            "csrf_token": token,
            "title": "Tuesday walk 2",
            "categories": ["walking"],
            "modes": ["in_person"],
            "postcode": "LS1 1AZ",
            "spare_places": "2",
            "capacity": "1",
            "status": "published",
            "wheelchair_accessible": "",
        },
    )
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "cannot be more than" in body, re.findall(
        r"error-message.{0,200}", body, re.S
    )
    r = client.post(
        f"/manage/activities/{a.id}/edit",
        data={
            "csrf_token": token,
            "title": "Tuesday walk 2",
            "categories": ["walking"],
            "modes": ["in_person"],
            "postcode": "LS1 1AZ",
            "spare_places": "2",
            "capacity": "10",
            "status": "published",
            "schedule": "Wed 10:00-11:00",
            "wheelchair_accessible": "yes",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    html = client.get(f"/manage/activities/{a.id}/history").get_data(as_text=True)
    assert "Tuesday walk 2" in html
    client.post("/sign-out", data={"csrf_token": token})
    login(client, "a@example.org")
    for url in [
        "/admin/",
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{prov.id}",
        "/admin/organisations",
        "/admin/organisations/new",
        f"/admin/organisations/{org.id}",
        "/admin/import",
        "/admin/import/template.csv",
        "/manage/",
    ]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.get_data(as_text=True)[:3000])


def test_the_edit_form_shows_the_kite_mark_read_only(app, client, make):
    org = make.organisation("Org K")
    make.user("provider", email="k@example.org", organisation=org)
    a = make.activity(org, title="Knit group", kite_mark="awarded")
    make.commit()
    login(client, "k@example.org")
    html = client.get(f"/manage/activities/{a.id}/edit").get_data(as_text=True)
    assert "Kite-marked" in html
    assert 'href="/kite-mark/your-organisation"' in html
    assert 'name="kite_mark"' not in html  # nothing to set here: reviewers award it
