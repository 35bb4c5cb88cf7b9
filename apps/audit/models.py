"""The audit trail: an append-only, hash-chained record of every state change, and signed checkpoints.

The trail is ``QENEX_AUDIT_CHAIN_SHARDS`` independent hash chains ("shards"), so that audited commits of
unrelated objects do not queue on one row. A record belongs to the shard its object hashes to
(``chain.shard_of``); within a shard it has a gap-free position ``shard_sequence`` and stores the hash of its
predecessor (``prev_hash``) and its own ``hash`` over a canonical serialisation of its content, shard and
position (see ``chain.py``), so editing, inserting, deleting or reordering a record breaks the shard's later
links. ``AuditChainHead`` (one row per shard, ``id`` = shard) says where each shard ends; writers of that shard
lock it to append, which keeps the shard strictly ordered. ``sequence`` is a global ordering column across all
shards (an identity: increasing in insertion order, gaps allowed), for reading the trail in time order.
``AuditCheckpoint`` is an ML-DSA-65 signature over every shard's head at one moment, so even rewriting a
shard's whole tail is detectable. On PostgreSQL the records and checkpoints refuse UPDATE and DELETE
(migrations 0002, 0003).
"""

from __future__ import annotations

from django.db import models

from .chain import GENESIS_HASH

# chain_format of new records (chain.FORMATS); 1 marks those written before the trail was sharded.
CURRENT_FORMAT = 2


class AuditRecord(models.Model):
    # Global order over all shards (an identity, taken at INSERT under the shard lock): later commits of one
    # object, or of one shard, get larger numbers. Not hashed and not gap-free; the chain positions are below.
    sequence = models.BigAutoField(primary_key=True)
    shard = models.PositiveSmallIntegerField(default=0)
    # Position in the shard's chain: 1, 2, 3, ... without gaps (assigned under the shard head lock).
    shard_sequence = models.BigIntegerField()
    chain_format = models.PositiveSmallIntegerField(default=CURRENT_FORMAT)
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
        constraints = [models.UniqueConstraint(fields=["shard", "shard_sequence"], name="audit_shard_position")]
        indexes = [
            models.Index(fields=["object_type", "object_id", "sequence"], name="audit_object_idx"),
            models.Index(fields=["actor", "sequence"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        place = f"#{self.sequence} (shard {self.shard} #{self.shard_sequence})"
        return f"{place} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """One row per shard (``id`` = shard) naming its last record; locked by that shard's writers, last."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    sequence = models.BigIntegerField(default=0)  # shard_sequence of the shard's last record
    hash = models.CharField(max_length=128, default=GENESIS_HASH)
    record_sequence = models.BigIntegerField(default=0)  # that record's global ``sequence``
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"shard {self.id} head at #{self.sequence}"


class AuditCheckpoint(models.Model):
    # The global ``sequence`` of the newest record the checkpoint covers (it only grows), and a digest of
    # ``heads``. Checkpoints signed before sharding have no ``heads``: they signed (sequence, chain_hash) of the
    # single chain, which became shard 0.
    sequence = models.BigIntegerField(db_index=True)
    chain_hash = models.CharField(max_length=128)
    heads = models.JSONField(null=True, blank=True, help_text="[[shard, shard_sequence, hash], ...] signed together")
    created_at = models.DateTimeField()
    algorithm = models.CharField(max_length=16, default="ML-DSA-65")
    key_fingerprint = models.CharField(max_length=80)
    public_key = models.TextField(help_text="Raw public key, hex")
    signature = models.TextField(help_text="Signature over the checkpoint message, hex")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint at #{self.sequence}"
