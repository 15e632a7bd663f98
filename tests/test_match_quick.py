def test_match(app, client, make):
    org = make.organisation("Org")
    a = make.activity(org, title="Choir", categories="music_singing", needs="loneliness;low_mood", schedule="Thu 18:30-20:00", spare_places="4", kite_mark="awarded")
    b = make.activity(org, title="Far walk", categories="walking", needs="loneliness", postcode="M1 1AE")
    c = make.activity(org, title="Kids club", categories="social_group", needs="loneliness", age_max="12")
    d = make.activity(org, title="Phone befriending", categories="befriending", needs="loneliness", modes="phone", postcode="")
    make.commit()
    r = client.post("/api/v1/match", json={"postcode": "LS1 1AZ", "max_distance_km": 5, "needs": ["loneliness", "low_mood"], "interests": "singing", "age": 70, "availability": [{"day": "thu", "from": "17:00", "to": "21:00"}]})
    assert r.status_code == 200, r.json
    ids = [x["activity_id"] for x in r.json["results"]]
    assert a.id in ids and d.id in ids and b.id not in ids and c.id not in ids, r.json
    assert r.json["results"][0]["activity_id"] == a.id
    print(r.json["results"][0]["reasons"], r.json["results"][0]["warnings"])
    r = client.post("/api/v1/match", json={"needs": ["bogus"]})
    assert r.status_code == 422 and "needs" in r.json["error"]["fields"]
    r = client.get("/api/v1/activities?q=singing&near=LS1%201AZ&within_km=5")
    assert r.status_code == 200 and r.json["total"] == 1 and r.json["results"][0]["distance_km"] is not None, r.json
    r = client.get("/api/v1/suggest?q=cho")
    assert r.json["suggestions"][0]["label"] == "Choir", r.json
