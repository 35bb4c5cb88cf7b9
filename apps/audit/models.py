"""The audit trail: an append-only, hash-chained record of every state change, and signed checkpoints.

Each ``AuditRecord`` stores the hash of its predecessor (``prev_hash``) and its own ``hash`` over a canonical
serialisation of its content plus ``prev_hash`` (see ``chain.py``), so editing, inserting or deleting a
record breaks every later link. ``AuditChainHead`` is the single row that says where the chain ends; writers
lock it to append, which keeps the chain strictly ordered. ``AuditCheckpoint`` is an ML-DSA-65 signature
over (sequence, hash) of the head at some moment, so even rewriting the whole tail is detectable.
On PostgreSQL the records and checkpoints refuse UPDATE and DELETE (migration 0002).
"""

from __future__ import annotations

from django.db import models

from .chain import GENESIS_HASH

HEAD_ID = 1


class AuditRecord(models.Model):
    # Position in the chain: 1, 2, 3, ... without gaps (assigned under the head lock, unlike a sequence).
    sequence = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150, blank=True)
    actor_user_id = models.BigIntegerField(null=True, blank=True, help_text="Staff user id, when known")
    actor_api_client_id = models.BigIntegerField(null=True, blank=True, help_text="API client id, when known")
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    source_ip = models.CharField(max_length=45, blank=True)
    prev_hash = models.CharField(max_length=128)
    hash = models.CharField(max_length=128, unique=True)

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "sequence"], name="audit_object_idx"),
            models.Index(fields=["actor", "sequence"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """The one row (id 1) naming the last record; locked by every writer, last, until commit."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=HEAD_ID)
    sequence = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=128, default=GENESIS_HASH)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=HEAD_ID), name="audit_single_head")]

    def __str__(self) -> str:
        return f"head at #{self.sequence}"


class AuditCheckpoint(models.Model):
    sequence = models.BigIntegerField(db_index=True)
    chain_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    algorithm = models.CharField(max_length=16, default="ML-DSA-65")
    key_fingerprint = models.CharField(max_length=80)
    public_key = models.TextField(help_text="Raw public key, hex")
    signature = models.TextField(help_text="Signature over the checkpoint message, hex")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint at #{self.sequence}"
