"""POST /api/v1/screening/search and manage.py screen / load_sanctions."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.compliance.services import sanctions_list_load
from tests.conftest import make_client

from .conftest import UN, un_subset

pytestmark = pytest.mark.django_db
URL = "/api/v1/screening/search"


@pytest.fixture
def un_list(tmp_path):
    sanctions_list_load(list_code="un", path=un_subset(tmp_path / "un.xml", individuals=40, entities=10))


@pytest.fixture
def screener():
    return make_client(["screening:read"], name="screener")


def test_a_listed_name_answers_potential_match_in_the_documented_shape(un_list, screener):
    response = screener.post(URL, {"name": "Badege Eric", "entity_type": "individual", "country": "CD"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"decision", "hits"} and body["decision"] == "potential_match"
    hit = body["hits"][0]
    assert set(hit) == {"list", "entry_id", "matched_name", "score", "explanation"}
    assert (hit["list"], hit["entry_id"], hit["matched_name"]) == ("un", "CDi.001", "ERIC BADEGE")
    assert 0.0 <= hit["score"] <= 1.0
    assert {"kind": "exact", "query": "badege", "listed": "badege", "similarity": 1.0} in hit["explanation"]


def test_an_unlisted_name_is_clear(un_list, screener):
    response = screener.post(URL, {"name": "John Smith"}, format="json")
    assert response.json() == {"decision": "clear", "hits": []}


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({}, "missing_field", "name"),
        ({"name": ""}, "missing_field", "name"),
        ({"name": "x" * 301}, "too_long", "name"),
        ({"name": "Eric", "entity_type": "robot"}, "invalid_choice", "entity_type"),
        ({"name": "Eric", "date_of_birth": "31/12/1971"}, "invalid_date", "date_of_birth"),
        ({"name": "Eric", "date_of_birth": "1700"}, "invalid_date", "date_of_birth"),
        ({"name": "Eric", "date_of_birth": "1971-02-30"}, "invalid_date", "date_of_birth"),
        ({"name": "Eric", "nickname": "E"}, "unknown_field", "nickname"),
        ({"name": "---"}, "invalid_name", "name"),
    ],
)
def test_bad_input_is_a_400_with_a_code(un_list, screener, body, code, field):
    response = screener.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)


def test_a_key_without_the_scope_is_refused(un_list):
    other = make_client(["accounts:read"], name="reader")
    response = other.post(URL, {"name": "Eric Badege"}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_the_operation_is_in_the_openapi_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/screening/search"]["post"]
    assert "200" in operation["responses"]


def test_screen_command_prints_the_api_answer(un_list, capsys):
    call_command("screen", "Badege Eric", "John Smith")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["decision"] for line in lines] == ["potential_match", "clear"]
    assert lines[0]["hits"][0]["entry_id"] == "CDi.001"


def test_screen_command_refuses_bad_input(un_list):
    with pytest.raises(CommandError, match="invalid_date"):
        call_command("screen", "Eric", "--date-of-birth", "yesterday")


def test_load_sanctions_command_reports_and_is_idempotent(capsys):
    call_command("load_sanctions", "--list", "un", str(UN), "--no-progress")
    assert "added 1000, removed 0, changed 0" in capsys.readouterr().out
    call_command("load_sanctions", "--list", "un", str(UN))
    assert "nothing changed" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("load_sanctions", "--list", "ofac_sdn", str(UN))


def test_screening_with_a_warm_index_asks_the_database_nothing(un_list, django_assert_num_queries, settings):
    from apps.compliance.screening import screen_name

    settings.QENEX_SCREENING_INDEX_CHECK_SECONDS = 3600
    screen_name(name="warm up")
    with django_assert_num_queries(0):
        assert screen_name(name="Badege Eric").is_potential_match


def test_a_compliance_officer_screens_and_reads_entries_read_only_in_the_admin(un_list, client):
    from apps.compliance.models import SanctionsEntry
    from tests.staff import make_staff, otp_login

    otp_login(client, make_staff("officer", "compliance_officer"))
    response = client.post(URL, {"name": "Badege Eric"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["hits"][0]["entry_id"] == "CDi.001"
    entry = SanctionsEntry.objects.get(entry_id="CDi.001")
    listing = client.get("/admin/compliance/sanctionsentry/?q=badege")
    assert listing.status_code == 200 and b"CDi.001" in listing.content
    page = client.get(f"/admin/compliance/sanctionsentry/{entry.pk}/change/")
    assert page.status_code == 200 and b"ERIC BADEGE" in page.content
    assert client.post(f"/admin/compliance/sanctionsentry/{entry.pk}/delete/").status_code == 403


def test_staff_without_the_permission_cannot_screen(un_list, client):
    from tests.staff import make_staff, otp_login

    otp_login(client, make_staff("teller", "teller"))
    assert client.post(URL, {"name": "Badege Eric"}, content_type="application/json").status_code == 403
