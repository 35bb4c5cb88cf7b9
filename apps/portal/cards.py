"""Card authorisations, read-only: what the issuer host answered (hold, response code), what cleared, what was
reversed or lapsed. The PAN never reaches a page: only the card's masked PAN (BIN and last four, as PCI DSS
allows) and its public id. Needs ``cards.view_authorisation``.
"""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.cards.models import AuthorisationStatus

from . import selectors
from .pagination import filtered_page
from .views import staff_permission

VIEW_AUTHORISATION = "cards.view_authorisation"


class AuthorisationFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False,
                               choices=[("", "Any")] + list(AuthorisationStatus.choices))
    response_code = forms.RegexField(label="Response code", required=False, regex=r"^[0-9A-Z]{2}$", max_length=2)
    card = forms.CharField(label="Card id or last four", required=False, max_length=32)


@require_GET
@staff_permission(VIEW_AUTHORISATION)
def authorisation_list(request):
    filters, page = filtered_page(
        request,
        AuthorisationFilterForm,
        lambda values: selectors.card_authorisations(
            status=values.get("status", ""), response_code=values.get("response_code", ""),
            card=values.get("card", "").strip(),
        ),
    )
    return render(request, "portal/card_authorisations.html", {"filters": filters, "page": page})
