"""KEK rotation re-wraps subject keys (the values under them stay as they are) and retires the old version."""

from __future__ import annotations

from apps.customers.models import Customer
from apps.security import services
from apps.security.models import KekState, KekVersion, SubjectKey
from tests.customers.conftest import person
from tests.security.conftest import software_kek  # noqa: F401 (a fixture for these tests)


def test_rotation_rewraps_subject_keys_and_values_still_read(software_kek):  # noqa: F811
    services.kek_init(actor="test")
    customer = person(name="Ilse Rotkehl", national_id="IR-1")
    stored = Customer.objects.filter(pk=customer.pk).values_list("name", flat=True).get()
    assert SubjectKey.objects.get(subject_id=customer.public_id).kek_version == 1
    services.kek_rotate(actor="test")
    report = services.keys_rewrap()
    assert report.remaining == 0 and report.rewrapped >= 1
    assert SubjectKey.objects.get(subject_id=customer.public_id).kek_version == 2
    assert Customer.objects.filter(pk=customer.pk).values_list("name", flat=True).get() == stored  # untouched
    from apps.security.keyring import reset_keyring

    reset_keyring()  # forget cached keys: read through the re-wrapped key
    assert Customer.objects.get(pk=customer.pk).name == "Ilse Rotkehl"
    assert KekVersion.objects.get(version=1).state == KekState.RETIRED
