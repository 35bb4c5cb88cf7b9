from __future__ import annotations

import base64
import datetime as dt

import pytest

from apps.customers import services
from tests.compliance.conftest import un_list  # noqa: F401 (a fixture for these tests)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
LISTED_NAME = "Eric Badege"  # UN CDi.001, in the first 40 individuals of the real UN file
LISTED_COUNTRY = "CD"


@pytest.fixture
def kyc_on(settings):
    """The production default: accounts open and money moves only for verified customers."""
    settings.QENEX = {**settings.QENEX, "compliance": {**settings.QENEX["compliance"], "kyc_required": True}}
    return settings


def person(**overrides):
    fields = {
        "kind": "person",
        "name": "Anna Schmidt",
        "date_of_birth": "1985-04-12",
        "nationality": "DE",
        "residence_country": "DE",
        "addresses": ["Hauptstrasse 1, 10115 Berlin"],
        "national_id": "T22000129",
        "occupation": "engineer",
        "industry": "software",
        "channel": "branch",
    }
    fields.update(overrides)
    return services.customer_create(fields=fields, actor="officer")


def verified(customer=None, **overrides):
    """A customer with a verified passport and verified KYC."""
    customer = customer or person(**overrides)
    document = services.document_upload(
        customer_id=customer.public_id,
        doc_type="passport",
        content=PNG,
        file_name="passport.png",
        content_type="image/png",
        number="C01X00T47",
        issuing_country="DE",
        expires_on=dt.date.today() + dt.timedelta(days=3650),
        actor="officer",
    )
    services.document_decide(
        customer_id=customer.public_id, document_id=document.public_id, verified=True, actor="officer"
    )
    return services.customer_verify(public_id=customer.public_id, edd_notes="source of funds: salary", actor="officer")
