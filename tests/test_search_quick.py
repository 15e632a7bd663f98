from spdirectory.search import SearchQuery, get_backend
from spdirectory.extensions import db

def test_quick(app, make):
    org = make.organisation("Armley Singers")
    a = make.activity(org, title="Community choir", description="We sing together every week", categories="music_singing", needs="loneliness")
    b = make.activity(org, title="Tuesday walks", description="Gentle walking round the park", categories="walking", postcode="LS6 1AA" if False else "LS1 1AZ")
    make.commit()
    be = get_backend()
    r = be.search(SearchQuery(text="singing"))
    assert [h.activity_id for h in r.hits] == [a.id], r
    r = be.search(SearchQuery(text="walk"))
    assert [h.activity_id for h in r.hits] == [b.id]
    r = be.search(SearchQuery(text="rambling"))
    assert [h.activity_id for h in r.hits] == [b.id]
    r = be.search(SearchQuery(categories=["walking"]))
    assert r.total == 1 and r.facets["category"] == {"walking": 1}
    r = be.search(SearchQuery(near=(53.79, -1.55), within_km=5))
    assert r.total == 2 and r.hits[0].distance_km < 5
    s = be.suggest("comm")
    assert any(x.label == "Community choir" for x in s), s
    s = be.suggest("arm")
    assert any(x.type == "organisation" for x in s), s
    b.status = "archived"; db.session.commit()
    assert be.search(SearchQuery(text="walk")).total == 0
    assert be.rebuild() == 1
