"""Officers see cards (never the PAN) and authorisations in the admin, and block a card through an action."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.cards.models import Card, CardStatus
from tests.staff import make_staff, otp_login

from .factories import issued_card
from .test_authorisations import authorise

pytestmark = pytest.mark.django_db


def test_officer_sees_cards_without_pan_and_blocks_one():
    card, pan = issued_card()
    authorise(pan, 1500)
    client = otp_login(Client(), make_staff("officer", superuser=True))
    cards = client.get("/admin/cards/card/")
    assert cards.status_code == 200 and card.last_four in cards.content.decode()
    detail = client.get(f"/admin/cards/card/{card.pk}/change/")
    assert detail.status_code == 200 and pan not in detail.content.decode() and pan not in cards.content.decode()
    authorisations = client.get("/admin/cards/authorisation/")
    assert authorisations.status_code == 200 and pan not in authorisations.content.decode()
    done = client.post("/admin/cards/card/", {"action": "block", "_selected_action": [card.pk]})
    assert done.status_code == 302
    assert Card.objects.get(pk=card.pk).status == CardStatus.BLOCKED
