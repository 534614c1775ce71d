"""The authorisation matrix: anonymous / investor / staff of the right EPCI / staff of another
EPCI / admin × read / create / update / delete."""

import pytest

from tests.factories import site_feature

SITE = "08105_09"  # published, owned by CA Ardenne Métropole
MERGE = {"Content-Type": "application/merge-patch+json"}

MATRIX = {
    #            read  create update delete
    "anonymous": (200, 401, 401, 401),
    "investor": (200, 403, 403, 403),
    "staff": (200, 201, 200, 204),
    "other_staff": (200, 403, 403, 403),
    "admin": (200, 201, 200, 204),
}


@pytest.fixture
def headers_of(staff, other_staff, investor, admin):
    return {
        "anonymous": {},
        "investor": investor,
        "staff": staff,
        "other_staff": other_staff,
        "admin": admin,
    }


@pytest.mark.parametrize("who", list(MATRIX))
@pytest.mark.parametrize(
    ("action", "column"), [("read", 0), ("create", 1), ("update", 2), ("delete", 3)]
)
def test_authorisation_matrix(client, headers_of, who, action, column):
    headers = headers_of[who]
    expected = MATRIX[who][column]
    tag = client.get(f"/api/v1/sites/{SITE}").headers["etag"]
    if action == "read":
        r = client.get(f"/api/v1/sites/{SITE}", headers=headers)
    elif action == "create":
        r = client.post("/api/v1/sites", json=site_feature(), headers=headers)
    elif action == "update":
        r = client.patch(
            f"/api/v1/sites/{SITE}",
            json={"properties": {"power_mw": 2}},
            headers={**headers, **MERGE, "If-Match": tag},
        )
    else:
        r = client.delete(f"/api/v1/sites/{SITE}", headers={**headers, "If-Match": tag})
    assert r.status_code == expected, r.text
    if expected >= 400:
        assert r.json()["code"] in ("not_authenticated", "forbidden")
        if expected == 401:
            assert r.headers["www-authenticate"].startswith("Bearer")
        # nothing was written
        assert client.get(f"/api/v1/sites/{SITE}").headers["etag"] == tag


def test_confidential_price_is_hidden_from_anonymous_only(client, admin, investor):
    tag = client.get(f"/api/v1/sites/{SITE}").headers["etag"]
    client.patch(
        f"/api/v1/sites/{SITE}",
        json={"properties": {"terr_m2_prix": 18}},
        headers={**admin, **MERGE, "If-Match": tag},
    )
    assert "terr_m2_prix" not in client.get(f"/api/v1/sites/{SITE}").json()["properties"]
    assert (
        client.get(f"/api/v1/sites/{SITE}", headers=investor).json()["properties"]["terr_m2_prix"]
        == 18
    )


@pytest.mark.parametrize("header", ["Bearer nope", "Basic dXNlcjpwYXNz", "Bearer "])
def test_bad_or_unknown_keys_are_401_even_on_reads(client, header):
    r = client.get("/api/v1/sites", headers={"Authorization": header})
    assert r.status_code == 401


def test_revoked_key_is_refused(client, session, admin):
    from app.auth.service import revoke
    from app.models import ApiKey

    key = session.query(ApiKey).order_by(ApiKey.id.desc()).first()
    revoke(session, key_id=key.id)
    session.commit()
    assert client.get("/api/v1/sites", headers=admin).status_code == 401


def test_keys_are_stored_hashed(session, admin):
    from app.models import ApiKey

    clear = admin["Authorization"].split()[1]
    stored = [k.digest for k in session.query(ApiKey)]
    assert clear not in stored
    assert all(len(d) == 64 for d in stored)
