from tests import factories
from tests.conftest import login


def test_caseworker_sees_own_county_client_names(client, db):
    worker = factories.county_case(db, name="Kuvitteellinen Kalle").worker
    db.commit()
    assert login(client, worker.username).status_code == 302
    page = client.get("/caseworker/clients").get_data(as_text=True)
    assert "Kuvitteellinen Kalle" in page
