"""Create, verify, rotate and revoke API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import BANK_OWNER_ID
from apps.audit.services import audit_record
from apps.core.errors import InvalidInput, NotFound

from .models import SCOPES, ApiClient, ApiKey

TOKEN_PREFIX = "qnx"


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    token: str  # shown once; never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _key_state(key: ApiKey) -> dict:
    """What the audit trail keeps of a key: never the secret or its digest."""
    return {
        "prefix": key.prefix,
        "client": key.client.name,
        "scopes": key.scopes,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
    }


def _check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InvalidInput(
            f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(sorted(SCOPES))}", field="scopes"
        )
    return sorted(set(scopes))


@transaction.atomic
def api_key_issue(
    *, client: ApiClient, scopes: list[str], expires_at: datetime | None = None, actor: str = "system"
) -> IssuedKey:
    """Issue a new key for ``client``; return it with its one-time plaintext token."""
    scopes = _check_scopes(scopes)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        client=client, prefix=prefix, secret_hash=_digest(secret), scopes=scopes, expires_at=expires_at
    )
    audit_record(
        action="iam.api_key_issued", object_type="api_key", object_id=prefix, after=_key_state(key), actor=actor
    )
    return IssuedKey(key=key, token=f"{TOKEN_PREFIX}_{prefix}_{secret}")


def _check_owner_ids(owner_ids: list[str]) -> list[str]:
    cleaned = sorted({o.strip() for o in owner_ids if isinstance(o, str) and o.strip()})
    for owner_id in cleaned:
        if len(owner_id) > 64:
            raise InvalidInput(f"owner id {owner_id[:20]!r}... is longer than 64 characters", field="owner_ids")
        if owner_id == BANK_OWNER_ID:
            raise InvalidInput("the bank's own accounts are never in an API client's scope", field="owner_ids")
    return cleaned


def _client_state(client: ApiClient) -> dict:
    return {
        "name": client.name,
        "owner_ids": client.owner_ids,
        "all_customers": client.all_customers,
        "credit_any_customer": client.credit_any_customer,
    }


@transaction.atomic
def api_client_create(
    *,
    name: str,
    scopes: list[str],
    owner_ids: list[str] = (),
    all_customers: bool = False,
    credit_any_customer: bool = False,
    expires_at: datetime | None = None,
    actor: str = "system",
) -> IssuedKey:
    """Create a client scoped to ``owner_ids`` (or every customer with ``all_customers``) with its first key.

    A client with neither reaches no account at all (see ``apps.iam.tenancy``).
    """
    if not name or len(name) > 100:
        raise InvalidInput("client name must be 1-100 characters", field="name")
    if ApiClient.objects.filter(name=name).exists():
        raise InvalidInput(f"an API client named {name!r} exists already", field="name", code="duplicate")
    client = ApiClient.objects.create(
        name=name,
        owner_ids=_check_owner_ids(list(owner_ids)),
        all_customers=all_customers,
        credit_any_customer=credit_any_customer,
    )
    audit_record(
        action="iam.api_client_created",
        object_type="api_client",
        object_id=str(client.pk),
        after=_client_state(client),
        actor=actor,
    )
    return api_key_issue(client=client, scopes=scopes, expires_at=expires_at, actor=actor)


@transaction.atomic
def api_client_set_scope(
    *,
    client: ApiClient,
    owner_ids: list[str],
    all_customers: bool,
    credit_any_customer: bool = False,
    actor: str = "system",
) -> ApiClient:
    """Change which customers' accounts a client may reach; takes effect on its next request."""
    client = ApiClient.objects.select_for_update(no_key=True).get(pk=client.pk)
    before = _client_state(client)
    client.owner_ids = _check_owner_ids(list(owner_ids))
    client.all_customers, client.credit_any_customer = all_customers, credit_any_customer
    if _client_state(client) == before:
        return client
    client.save(update_fields=["owner_ids", "all_customers", "credit_any_customer"])
    audit_record(
        action="iam.api_client_scope_changed",
        object_type="api_client",
        object_id=str(client.pk),
        before=before,
        after=_client_state(client),
        actor=actor,
    )
    return client


def api_key_authenticate(token: str) -> ApiKey | None:
    """Return the usable key matching ``token``, or None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    try:
        key = ApiKey.objects.select_related("client").get(prefix=parts[1])
    except ApiKey.DoesNotExist:
        return None
    if not hmac.compare_digest(key.secret_hash, _digest(parts[2])):
        return None
    now = timezone.now()
    if not key.is_usable(now):
        return None
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


@transaction.atomic
def api_key_rotate(*, prefix: str, overlap: timedelta = timedelta(hours=24), actor: str = "system") -> IssuedKey:
    """Issue a successor with the same scopes; the old key keeps working for ``overlap`` then expires."""
    try:
        old = (
            ApiKey.objects.select_for_update(no_key=True)
            .select_related("client")
            .get(prefix=prefix, revoked_at__isnull=True)
        )
    except ApiKey.DoesNotExist:
        raise NotFound(f"no active key {prefix}") from None
    before = _key_state(old)
    cutoff = timezone.now() + overlap
    if old.expires_at is None or old.expires_at > cutoff:
        old.expires_at = cutoff
        old.save(update_fields=["expires_at"])
    new = api_key_issue(client=old.client, scopes=old.scopes, expires_at=None, actor=actor)
    audit_record(
        action="iam.api_key_rotated",
        object_type="api_key",
        object_id=old.prefix,
        before=before,
        after=_key_state(old) | {"successor": new.key.prefix},
        actor=actor,
    )
    return new


@transaction.atomic
def api_key_revoke(*, prefix: str, actor: str = "system") -> ApiKey:
    try:
        key = (
            ApiKey.objects.select_for_update(no_key=True)
            .select_related("client")
            .get(prefix=prefix, revoked_at__isnull=True)
        )
    except ApiKey.DoesNotExist:
        raise NotFound(f"no active key {prefix}") from None
    before = _key_state(key)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit_record(
        action="iam.api_key_revoked",
        object_type="api_key",
        object_id=key.prefix,
        before=before,
        after=_key_state(key),
        actor=actor,
    )
    return key
