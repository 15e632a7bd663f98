def test_smoke(app, client, make):
    a = make.activity(title="Tuesday walk")
    make.commit()
    r = client.get("/api/v1/activities")
    assert r.status_code == 200, r.data
    assert r.json["total"] == 1
    assert r.json["results"][0]["title"] == "Tuesday walk"
