"""Customers: identity data encrypted, risk rated from rules as data, screened at onboarding, verified by officers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from apps.audit.models import AuditRecord
from apps.core.errors import InvalidInput
from apps.customers import selectors, services
from apps.customers.errors import KycRequirementsNotMet
from apps.customers.models import Customer, KycStatus, RiskRating, SanctionsStatus
from apps.customers.risk import add_months

from .conftest import LISTED_COUNTRY, LISTED_NAME, PNG, person, verified

pytestmark = pytest.mark.django_db


def test_identity_data_is_encrypted_at_rest_and_found_through_the_blind_index():
    customer = person()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, date_of_birth, national_id, addresses FROM customers_customer WHERE id = %s", [customer.pk]
        )
        stored = " ".join(cursor.fetchone())
    assert "Schmidt" not in stored and "1985" not in stored and "T22000129" not in stored
    assert list(selectors.customer_list(name="anna  SCHMIDT")) == [customer]
    assert list(selectors.customer_list(national_id="T22000129")) == [customer]
    assert not selectors.customer_list(name="Anna Schmid").exists()
    assert Customer.objects.get(pk=customer.pk).name == "Anna Schmidt"


def test_an_online_real_estate_customer_is_medium_risk_for_the_stated_reasons():
    customer = person(channel="online", industry="real_estate")
    assert customer.risk_rating == RiskRating.MEDIUM
    assert customer.risk_score == 25
    assert {(r["factor"], r["value"]) for r in customer.risk_reasons} == {
        ("industry", "real_estate"),
        ("channel", "online"),
    }
    assert customer.next_review_on == add_months(timezone.localdate(), 24)
    assert not customer.edd_required
    assert customer.kyc_status == KycStatus.PENDING


def test_a_branch_customer_in_a_low_risk_country_is_low_risk_reviewed_every_three_years():
    customer = person()
    assert (customer.risk_rating, customer.risk_score, customer.risk_reasons) == (RiskRating.LOW, 0, [])
    assert customer.next_review_on == add_months(timezone.localdate(), 36)


def test_a_pep_is_high_risk_needs_edd_and_a_yearly_review():
    customer = person(pep=True)
    assert customer.risk_rating == RiskRating.HIGH and customer.edd_required
    assert customer.next_review_on == add_months(timezone.localdate(), 12)


def test_the_rules_are_data_an_officer_changes():
    services.risk_rule_save(factor="industry", value="software", points=30, reason="review", actor="officer")
    customer = person()
    assert customer.risk_rating == RiskRating.MEDIUM
    assert customer.risk_reasons == [{"factor": "industry", "value": "software", "points": 30, "reason": "review"}]
    assert AuditRecord.objects.filter(action="customer.risk_rule_saved").exists()


def test_a_nationality_in_a_high_risk_country_counts_as_a_country_factor():
    assert person(nationality="IR").risk_rating == RiskRating.HIGH


def test_verification_needs_a_verified_unexpired_identity_document():
    customer = person()
    with pytest.raises(KycRequirementsNotMet) as refused:
        services.customer_verify(public_id=customer.public_id, actor="officer")
    assert refused.value.code == "identity_document_missing"
    document = services.document_upload(
        customer_id=customer.public_id,
        doc_type="passport",
        content=PNG,
        content_type="image/png",
        expires_on=dt.date.today() + dt.timedelta(days=400),
        actor="clerk",
    )
    with pytest.raises(KycRequirementsNotMet):  # uploaded, not yet verified by an officer
        services.customer_verify(public_id=customer.public_id, actor="officer")
    services.document_decide(
        customer_id=customer.public_id, document_id=document.public_id, verified=True, actor="officer"
    )
    customer = services.customer_verify(public_id=customer.public_id, actor="officer")
    assert customer.kyc_status == KycStatus.VERIFIED and customer.kyc_verified_by == "officer"
    # Valid until the passport expires (sooner than the three-year review).
    assert customer.kyc_expires_on == document.expires_on
    record = AuditRecord.objects.filter(action="customer.kyc_verified", object_id=customer.public_id).get()
    assert "Schmidt" not in str(record.after)


def test_a_high_risk_customer_needs_enhanced_due_diligence_before_verification():
    customer = person(pep=True)
    document = services.document_upload(
        customer_id=customer.public_id, doc_type="passport", content=PNG, content_type="image/png", actor="clerk"
    )
    services.document_decide(customer_id=customer.public_id, document_id=document.public_id, verified=True)
    with pytest.raises(KycRequirementsNotMet) as refused:
        services.customer_verify(public_id=customer.public_id, actor="officer")
    assert refused.value.code == "edd_required"
    customer = services.customer_verify(public_id=customer.public_id, edd_notes="source of wealth: ...", actor="o")
    assert customer.kyc_status == KycStatus.VERIFIED
    assert customer.kyc_expires_on == add_months(timezone.localdate(), 12)


def test_a_rejected_document_needs_a_reason():
    customer = person()
    document = services.document_upload(
        customer_id=customer.public_id, doc_type="passport", content=PNG, content_type="image/png"
    )
    with pytest.raises(InvalidInput) as refused:
        services.document_decide(customer_id=customer.public_id, document_id=document.public_id, verified=False)
    assert refused.value.code == "missing_field"


def test_a_listed_name_is_a_potential_match_at_onboarding_and_cannot_be_verified(un_list):
    customer = person(name=LISTED_NAME, nationality=LISTED_COUNTRY, date_of_birth="")
    assert customer.sanctions_status == SanctionsStatus.POTENTIAL_MATCH
    with pytest.raises(KycRequirementsNotMet) as refused:
        verified(customer)
    assert refused.value.code == "sanctions_unresolved"


def test_an_unlisted_name_is_screened_clear(un_list):
    customer = person()
    assert customer.sanctions_status == SanctionsStatus.CLEAR and customer.screened_at is not None


def test_a_change_of_name_rescreens_and_a_verified_customer_is_reviewed_again(un_list):
    customer = verified()
    customer = services.customer_update(
        public_id=customer.public_id, fields={"name": LISTED_NAME, "nationality": LISTED_COUNTRY}, actor="clerk"
    )
    assert customer.kyc_status == KycStatus.PENDING
    assert customer.sanctions_status == SanctionsStatus.POTENTIAL_MATCH


def test_an_update_that_changes_nothing_writes_nothing():
    customer = person()
    before = AuditRecord.objects.count()
    services.customer_update(public_id=customer.public_id, fields={"occupation": "engineer"}, actor="clerk")
    assert AuditRecord.objects.count() == before


def test_a_lapsed_verification_counts_as_expired_and_the_job_marks_it():
    customer = verified()
    Customer.objects.filter(pk=customer.pk).update(kyc_expires_on=dt.date.today() - dt.timedelta(days=1))
    assert selectors.kyc_states(public_ids=[customer.public_id])[customer.public_id][0] == KycStatus.EXPIRED
    assert services.customers_expire_due() == 1
    assert Customer.objects.get(pk=customer.pk).kyc_status == KycStatus.EXPIRED
    assert services.customers_expire_due() == 0
