"""Citizens, households and the history of their VNeID accounts (R2, R8).

An account's state is never overwritten: each change is an AccountEvent with
the day it happened and where we learned it (a police list, a door-to-door
visit, an officer's entry). Each event also stores `until`, the day the next
event of the same citizen starts, so "the state of everyone on day D" is one
range scan (date <= D < until) instead of a search for each citizen's latest
event. Flags (not eligible, absent) are dated intervals the same way.

Counts per lowest unit and day live in DailyCount, rebuilt from these rows
(see progress.py); rates and forecasts are computed from sums at read time.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.restrict import RestrictedQuerySet
from chiendich.core.models import ImportHistory

ELIGIBLE_AGE = 14  # Law on Identification 2023: chip CCCD and VNeID from age 14


class AccountState(models.TextChoices):
    """The VNeID account states the police lists report, from nothing to level 2."""

    NOT_REGISTERED = "not_registered", _("not registered")
    L1_PENDING = "l1_pending", _("level 1 applied, pending")
    L2_PENDING = "l2_pending", _("level 2 applied, pending")
    APPROVED = "approved", _("approved, awaiting activation (SMS sent)")
    ACTIVATED_L1 = "activated_l1", _("activated, level 1")
    ACTIVATED_L2 = "activated_l2", _("activated, level 2")


ACTIVATED_STATES = (AccountState.ACTIVATED_L1, AccountState.ACTIVATED_L2)
PENDING_STATES = (AccountState.L1_PENDING, AccountState.L2_PENDING)


class Source(models.TextChoices):
    POLICE_LIST = "police_list", _("police list")
    VISIT = "visit", _("door-to-door visit")
    MANUAL = "manual", _("entered by an officer")


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class FlagKind(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", _("not eligible")
    ABSENT = "absent", _("absent")


class NotEligibleReason(models.TextChoices):
    """Why a citizen leaves the denominator (Plan 383 V.2.d: danh sách không đủ điều kiện)."""

    UNDER_14 = "under_14", _("under 14")
    NO_CHIP_CCCD = "no_chip_cccd", _("no chip CCCD")
    NO_SMARTPHONE = "no_smartphone", _("no smartphone")
    DECEASED = "deceased", _("deceased")
    MOVED_AWAY = "moved_away", _("moved away")
    OTHER = "other", _("other")


class ImportBatch(ImportHistory):
    """One import of a file: what it held, what it wrote, and who ran it."""

    class Kind(models.TextChoices):
        CITIZENS = "citizens", _("police list of citizens")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    file_name = models.CharField(max_length=255)
    rows_valid = models.PositiveIntegerField(default=0)
    citizens_created = models.PositiveIntegerField(default=0)
    citizens_updated = models.PositiveIntegerField(default=0)
    events_created = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} ({self.get_status_display()})"


class Household(models.Model):
    """A household as the police register it (Mã hộ), in a commune and hamlet."""

    code = models.CharField(_("household code"), max_length=30, unique=True)
    commune = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="households", verbose_name=_("hamlet")
    )
    # As the police list writes them ("Họ tên chủ hộ", "Địa chỉ"); "" when it gives none.
    # Database defaults: bulk writers (imports, the demo) may leave them out.
    head_name = models.CharField(_("head of household"), max_length=100, blank=True, db_default="")
    address = models.CharField(_("address"), max_length=200, blank=True, db_default="")

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.code


class Citizen(models.Model):
    """A citizen on the police lists. `unit` is the hamlet, or the commune when the
    hamlet is not known; it decides who may see the row (restrict)."""

    id_number = models.CharField(_("personal ID number"), max_length=12, unique=True)
    full_name = models.CharField(_("full name"), max_length=120)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    phone = models.CharField(_("phone number"), max_length=15, blank=True)
    # Indexes are few on purpose: each one costs every row of a 1.5-million-row
    # import. (unit, state) serves unit lookups; commune is read, never searched.
    commune = models.ForeignKey(
        "units.Unit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("commune"),
        db_index=False,
    )
    unit = models.ForeignKey(
        "units.Unit",
        on_delete=models.PROTECT,
        related_name="citizens",
        verbose_name=_("hamlet or commune"),
        db_index=False,
    )
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("household"),
    )
    # The latest event's state and day, kept for worklists; history is in AccountEvent.
    state = models.CharField(
        _("account state"),
        max_length=16,
        choices=AccountState.choices,
        default=AccountState.NOT_REGISTERED,
    )
    state_date = models.DateField(_("state since"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")
        indexes = [models.Index(fields=["unit", "state", "birth_date"])]  # covers counts per unit

    def __str__(self) -> str:
        return self.full_name

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class AccountEvent(models.Model):
    """A citizen's account entered `state` on `date`; valid until `until` (exclusive),
    the date of the citizen's next event, or open-ended."""

    # The unique (citizen, date, state) constraint is the citizen index; counting reads
    # the narrow (unit, state, date, until) index instead of the table (counts.py).
    citizen = models.ForeignKey(
        Citizen, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    state = models.CharField(max_length=16, choices=AccountState.choices)
    date = models.DateField()
    until = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    # Copied from the citizen so daily counts need no join over 1.4 million citizens.
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"

    class Meta:
        ordering = ["citizen_id", "date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["citizen", "date", "state"], name="vneid_event_once_per_day_and_state"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "state", "date", "until"], name="vneid_event_counting")
        ]

    def __str__(self) -> str:
        return f"{self.citizen_id} {self.state} {self.date:%d/%m/%Y}"


class Flag(models.Model):
    """A dated flag on a citizen: not eligible (with a reason) or absent, from `date`
    until `until` (exclusive) or open-ended."""

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=16, choices=FlagKind.choices)
    reason = models.CharField(max_length=16, choices=NotEligibleReason.choices, blank=True)
    date = models.DateField()
    until = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"

    class Meta:
        ordering = ["citizen_id", "date", "id"]
        indexes = [models.Index(fields=["kind", "date", "until"])]

    def __str__(self) -> str:
        return f"{self.citizen_id} {self.kind} {self.date:%d/%m/%Y}"


class DailyCount(models.Model):
    """Counts of one lowest unit (hamlet, or commune for citizens without one) on one day.

    Stored, rebuilt from events and flags (counts.counts_rebuild); parents sum
    their children at read time. Never averaged: rates come from summed counts.
    States are counted among the eligible (so activated / eligible <= 100%);
    `new_activations` counts every first activation of the day, as the police do.
    """

    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    citizens = models.PositiveIntegerField(default=0)
    eligible = models.PositiveIntegerField(default=0)
    not_eligible = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)
    not_registered = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    activated_l1 = models.PositiveIntegerField(default=0)
    activated_l2 = models.PositiveIntegerField(default=0)
    new_activations = models.PositiveIntegerField(default=0)

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], name="vneid_dailycount_unit_date"),
        ]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date:%d/%m/%Y}"


class DailyCountChange(models.Model):
    """A difference added in place to the stored DailyCount rows of one unit for the
    days `first`..`last` (counts.counts_citizen_follow: a door-to-door outcome, a
    citizen placed in a hamlet): what each count moved by.

    Written in the transaction that changes the rows, in commit order (counts.py), so
    its highest id moves with every in-place change: the dashboard's cached figures
    are keyed on it, and a cached overview adds these differences to what it read
    instead of reading every count again (web/stored.py, web/dashboard.py)."""

    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+")
    first = models.DateField()
    last = models.DateField()
    citizens = models.IntegerField(default=0)
    eligible = models.IntegerField(default=0)
    not_eligible = models.IntegerField(default=0)
    absent = models.IntegerField(default=0)
    not_registered = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)
    approved = models.IntegerField(default=0)
    activated_l1 = models.IntegerField(default=0)
    activated_l2 = models.IntegerField(default=0)
    new_activations = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.unit_id} {self.first:%d/%m/%Y}-{self.last:%d/%m/%Y}"
