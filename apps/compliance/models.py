"""Sanctions and watch lists: each list, each load of a list file, the entries it lists and their names.

An entry keeps the list's own id (OFAC ``ent_num``, UN reference number). A reload updates entries in place and
marks those no longer in the file as delisted (``listed=False``), so a hit reported earlier still points at a row.
The screening index (``apps.compliance.index``) is built in memory from the names of listed entries.
"""

from __future__ import annotations

from django.db import models


class ListCode(models.TextChoices):
    OFAC_SDN = "ofac_sdn", "OFAC Specially Designated Nationals (SDN)"
    UN = "un", "UN Security Council Consolidated List"


class EntityType(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    ENTITY = "entity", "Entity"
    VESSEL = "vessel", "Vessel"
    AIRCRAFT = "aircraft", "Aircraft"


class NameKind(models.TextChoices):
    PRIMARY = "primary", "Primary name"
    AKA = "aka", "Also known as (a.k.a.)"
    FKA = "fka", "Formerly known as (f.k.a.)"
    NKA = "nka", "Now known as (n.k.a.)"
    WEAK_AKA = "weak_aka", "Low-quality a.k.a."
    ORIGINAL_SCRIPT = "original_script", "Name in original script"


class SanctionsList(models.Model):
    code = models.CharField(max_length=32, unique=True, choices=ListCode.choices)
    name = models.CharField(max_length=200)

    class Meta:
        permissions = [("screen_name", "Can screen a name against the sanctions lists")]

    def __str__(self) -> str:
        return self.code


class SanctionsListLoad(models.Model):
    """One load of a list file (a version of the list): what it contained and what it changed."""

    sanctions_list = models.ForeignKey(SanctionsList, on_delete=models.PROTECT, related_name="loads")
    loaded_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=500, help_text="file name(s) loaded")
    sha256 = models.CharField(max_length=64, help_text="digest over the loaded files' bytes")
    published = models.CharField(max_length=40, blank=True, help_text="the list's own date, when the file has one")
    entry_count = models.PositiveIntegerField()
    name_count = models.PositiveIntegerField()
    added = models.PositiveIntegerField()
    removed = models.PositiveIntegerField()
    changed = models.PositiveIntegerField()
    unchanged = models.PositiveIntegerField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.sanctions_list.code} load {self.pk} ({self.source})"


class SanctionsEntry(models.Model):
    sanctions_list = models.ForeignKey(SanctionsList, on_delete=models.PROTECT, related_name="entries")
    entry_id = models.CharField(max_length=64, help_text="the list's own id: OFAC ent_num, UN reference number")
    entity_type = models.CharField(max_length=16, choices=EntityType.choices)
    primary_name = models.CharField(max_length=500)
    programs = models.JSONField(default=list)
    # "YYYY", "YYYY-MM", "YYYY-MM-DD" or "YYYY..YYYY" (a range); "~" in front when the list says approximately.
    dates_of_birth = models.JSONField(default=list)
    nationalities = models.JSONField(default=list, help_text="country names as the list writes them")
    countries = models.JSONField(default=list, help_text="address and place-of-birth countries")
    remarks = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, help_text="what a reload compares to tell a change")
    listed = models.BooleanField(default=True, help_text="false once a load no longer contains the entry")
    first_load = models.ForeignKey(SanctionsListLoad, on_delete=models.PROTECT, related_name="+")
    last_changed_load = models.ForeignKey(SanctionsListLoad, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sanctions_list", "entry_id"], name="sanctions_entry_unique_per_list")
        ]
        indexes = [models.Index(fields=["sanctions_list", "listed"])]
        verbose_name_plural = "sanctions entries"

    def __str__(self) -> str:
        return f"{self.sanctions_list.code}:{self.entry_id} {self.primary_name}"


class SanctionsName(models.Model):
    """A name of an entry (primary or alias), with the normalised form the index is built from."""

    entry = models.ForeignKey(SanctionsEntry, on_delete=models.CASCADE, related_name="names")
    kind = models.CharField(max_length=16, choices=NameKind.choices)
    name = models.CharField(max_length=500)
    normalised = models.CharField(max_length=500)

    def __str__(self) -> str:
        return self.name


# AML monitoring, cases and reports live in their own module; importing them here registers them with the app.
# Screening alerts and the allow/block lists live in their own module (one job per module).
from .alert_models import (  # noqa: E402,F401
    AlertStatus,
    AllowListEntry,
    BlockListEntry,
    PartyRole,
    RescreenRun,
    RescreenStatus,
    ScreeningAlert,
    SubjectType,
)
from .aml_models import *  # noqa: E402,F403
