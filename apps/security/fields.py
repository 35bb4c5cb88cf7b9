"""Model fields: ``EncryptedTextField`` (envelope-encrypted at rest) and ``BlindIndexField`` (its search key).

``EncryptedTextField`` keeps plaintext on the model instance and ciphertext in the database. Values are
decrypted lazily, on first attribute access, because the associated data names the row (``bind_to``, a field
whose value is known before the first save, e.g. ``public_id``), and Django's ``from_db_value`` does not see the
row. ``.values()`` / ``.values_list()`` therefore return the stored :class:`Ciphertext`, not plaintext.

Plaintext never reaches the database layer: ``queryset.update(field="...")``, ``bulk_update`` and lookups with a
plain string raise :class:`EncryptedFieldMisuse`; search through the blind index
(``selectors.blind_index_filter``). Lookups on a :class:`Ciphertext` (``exact``, ``in``, ``startswith``,
``isnull``) are allowed: they compare stored values as such. Nothing here logs values.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from . import envelope, subject_keys
from .blind_index import blind_index, blind_index_candidates
from .errors import EncryptedFieldMisuse

# (model label, field name) of every EncryptedTextField on a concrete model, for key rotation.
ENCRYPTED_FIELDS: set[tuple[str, str]] = set()
# Lookups that compare stored ciphertext as such (rotation, integrity checks); anything else would silently
# compare plaintext with ciphertext.
_ALLOWED_LOOKUPS = frozenset({"exact", "in", "isnull", "startswith"})


class Ciphertext(str):
    """A value exactly as stored in an encrypted column. Passing one to a lookup or update is allowed."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Ciphertext({str.__repr__(self)[:40]}...)"


class EncryptedAttribute(DeferredAttribute):
    """Data descriptor: decrypts the loaded ciphertext on first access, with the instance's row key."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Ciphertext):
            value = self.field.decrypt_for(instance, value)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """A text column encrypted with a per-value DEK (AES-256-GCM), bound to its table, column and row."""

    descriptor_class = EncryptedAttribute
    description = "Text encrypted at rest (envelope encryption)"

    def __init__(
        self, *args, bind_to: str = "public_id", subject: str | None = None, subject_record: bool = False, **kwargs
    ):
        self.bind_to = bind_to
        # ``subject``: dotted attribute path to the data subject's id (e.g. "customer.public_id"). When set and
        # non-empty, values are encrypted under that subject's key (``subject_keys``) so that erasing the
        # subject erases them. Not part of ``deconstruct``: it changes no schema, so no migration; values
        # written before (per-value envelopes) still decrypt and are moved by ``subject_keys_migrate``.
        # ``subject_record``: this row is the subject's own record (the customer), whose first write creates the
        # subject's key. Rows that only refer to a subject (accounts, payments, documents) use the key when the
        # subject has one, and per-value envelopes otherwise (an owner id that is no customer).
        self.subject = subject
        self.subject_record = subject_record
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["bind_to"] = self.bind_to
        return name, path, args, kwargs

    def subject_of(self, instance) -> str:
        if not self.subject:
            return ""
        value = instance
        for part in self.subject.split("."):
            value = getattr(value, part, None)
            if value is None:
                return ""
        return str(value)

    @property
    def subject_lookup(self) -> str:
        return (self.subject or "").replace(".", "__")

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        meta = cls._meta
        if not meta.abstract and cls.__module__ != "__fake__":  # "__fake__": historical models in migrations
            ENCRYPTED_FIELDS.add((meta.label, name))

    # --- row binding ---------------------------------------------------------------------------------
    def row_key(self, instance) -> str:
        value = getattr(instance, self.bind_to)
        if value is None or value == "":
            raise EncryptedFieldMisuse(
                f"{instance._meta.db_table}.{self.column}: the row key {self.bind_to!r} must be set before the "
                "value is encrypted"
            )
        return str(value)

    def context(self, instance) -> dict[str, str]:
        return {"table": instance._meta.db_table, "column": self.column, "row": self.row_key(instance)}

    def encrypt_for(self, instance, plaintext: str) -> Ciphertext:
        subject_id = self.subject_of(instance)
        if subject_id and (self.subject_record or subject_keys.has_key(subject_id)):
            return Ciphertext(
                subject_keys.encrypt_text(plaintext=plaintext, subject_id=subject_id, **self.context(instance))
            )
        return Ciphertext(envelope.encrypt_text(plaintext=plaintext, **self.context(instance)))

    def decrypt_for(self, instance, stored: str) -> str:
        if subject_keys.is_subject_text(stored):
            return subject_keys.decrypt_text(stored=stored, **self.context(instance))
        return envelope.decrypt_text(stored=stored, **self.context(instance))

    # --- database round trip -------------------------------------------------------------------------
    def pre_save(self, model_instance, add):
        value = model_instance.__dict__.get(self.attname)
        if value is None or value == "":
            return value
        if isinstance(value, subject_keys.ErasedText):
            return Ciphertext(value.stored)  # an erased subject's value: keep what is stored, unreadable
        if isinstance(value, Ciphertext) and subject_keys.is_subject_text(value):
            return value  # under the subject's key, which KEK rotation re-wraps in its own row
        if isinstance(value, Ciphertext):
            # Loaded and never read: keep the ciphertext, re-wrapping its DEK if the KEK has moved on.
            env = envelope.Envelope.from_text(value)
            from .keyring import get_keyring

            if env.kek_version != get_keyring().current_version():
                return Ciphertext(envelope.rewrap(envelope=env).to_text())
            return value
        return self.encrypt_for(model_instance, str(value))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return Ciphertext(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "" or isinstance(value, Ciphertext):
            return value
        raise EncryptedFieldMisuse(
            f"plaintext passed to the database for encrypted column {getattr(self, 'column', self.name)}: assign it "
            "to the model and save(), and search through the blind index"
        )

    def value_to_string(self, obj):
        return self.value_from_object(obj)

    def get_lookup(self, lookup_name):
        if lookup_name not in _ALLOWED_LOOKUPS:
            raise EncryptedFieldMisuse(
                f"lookup {lookup_name!r} on an encrypted column compares ciphertext, not plaintext: search through "
                "the blind index (apps.security.selectors.blind_index_filter)"
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name):
        raise EncryptedFieldMisuse(f"transform {lookup_name!r} is not available on an encrypted column")


class BlindIndexField(models.CharField):
    """HMAC-SHA256 of the normalised plaintext of ``source``, filled on save, for exact-match search."""

    description = "Blind index (keyed hash) of an encrypted field"

    def __init__(self, *args, source: str, purpose: str = "", **kwargs):
        self.source = source
        self.purpose = purpose
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.purpose:
            kwargs["purpose"] = self.purpose
        for key, default in (("max_length", 64), ("blank", True), ("default", ""), ("editable", False)):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        if kwargs.get("db_index") is True:
            kwargs.pop("db_index")
        else:
            kwargs["db_index"] = False
        return name, path, args, kwargs

    def purpose_for(self, model) -> str:
        return self.purpose or f"{model._meta.app_label}.{model._meta.model_name}.{self.source}"

    def index_value(self, value: str | None, *, model) -> str:
        return blind_index(value=value, purpose=self.purpose_for(model))

    def index_candidates(self, value: str | None, *, model) -> list[str]:
        """What a stored index of ``value`` may be: the current key's digest and, during a re-key, the old one."""
        return blind_index_candidates(value=value, purpose=self.purpose_for(model))

    def pre_save(self, model_instance, add):
        source_field = model_instance._meta.get_field(self.source)
        if source_field.attname not in model_instance.__dict__:
            return getattr(model_instance, self.attname)  # source deferred, so not saved: keep its index
        raw = model_instance.__dict__[source_field.attname]
        if isinstance(raw, str) and raw == subject_keys.ERASED_TEXT:  # ErasedText, or set by ``erase_values``
            setattr(model_instance, self.attname, "")
            return ""  # erased: no searchable trace of the value either
        if isinstance(raw, Ciphertext):
            return getattr(model_instance, self.attname)  # source unchanged since load: so is its index
        value = self.index_value(raw, model=type(model_instance))
        setattr(model_instance, self.attname, value)
        return value


def blind_index_field_for(*, model, source: str) -> BlindIndexField:
    for field in model._meta.get_fields():
        if isinstance(field, BlindIndexField) and field.source == source:
            return field
    raise FieldDoesNotExist(f"{model._meta.label} has no blind index over {source!r}")


def erase_values(instance, *field_names: str) -> list[str]:
    """Overwrite the named encrypted fields of ``instance`` with "[erased]" and empty their blind indexes.

    For values not under a subject key (a party of the subject's payment, a raw message): the owning app calls
    this from its erasure service and saves the returned ``update_fields``. The old ciphertext leaves the row;
    copies in backups still open with the KEK until those backups age out (unlike values under a subject key).
    """
    update_fields = []
    for name in field_names:
        if getattr(instance, name) in ("", None, subject_keys.ERASED_TEXT):
            continue  # nothing held (or erased already): leave it as it is
        setattr(instance, name, subject_keys.ERASED_TEXT)
        update_fields.append(name)
        update_fields += [
            f.name for f in instance._meta.fields if isinstance(f, BlindIndexField) and f.source == name
        ]
    return update_fields
