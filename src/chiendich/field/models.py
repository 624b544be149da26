"""Teams that go door to door, and every outcome they record (Plan 383 III, IV.1, V.2.c-d).

A Visit row is kept for every outcome anyone records, even when the account
history already says the same thing: the visit log is what the team did, the
account events and flags are what we know about the citizen.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.restrict import RestrictedQuerySet
from chiendich.vneid.models import NotEligibleReason


class TeamType(models.TextChoices):
    """The kinds of teams Plan 383 sends into the hamlets."""

    DIGITAL_TECH = "digital_tech", _("community digital technology team")
    PROJECT_06 = "project_06", _("Project 06 working team")
    YOUTH_UNION = "youth_union", _("youth union")
    WOMEN_UNION = "women_union", _("women's union")
    VOLUNTEER = "volunteer", _("volunteer team")


class Team(models.Model):
    """A team of a commune, its members (users) and the hamlets it covers."""

    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=20, choices=TeamType.choices)
    commune = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    hamlets = models.ManyToManyField(
        "units.Unit", related_name="teams", blank=True, verbose_name=_("hamlets")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True, verbose_name=_("members")
    )

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "commune"

    class Meta:
        ordering = ["commune_id", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    """What happened at the door."""

    ACTIVATED_L1 = "activated_l1", _("activated level 1 now")
    GUIDED = "guided", _("guided, will activate")
    ABSENT = "absent", _("absent, revisit")
    NOT_ELIGIBLE = "not_eligible", _("not eligible")
    REFUSED = "refused", _("refused")
    POLICE_L2 = "police_l2", _("referred to the police for level 2")
    FREE_SIM = "free_sim", _("no smartphone, referred for a free SIM")


class Visit(models.Model):
    """One outcome recorded for one citizen by one user on one day."""

    citizen = models.ForeignKey(
        "vneid.Citizen", on_delete=models.CASCADE, related_name="visits", verbose_name=_("citizen")
    )
    household = models.ForeignKey(
        "vneid.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("hamlet")
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    reason = models.CharField(
        _("reason"), max_length=16, choices=NotEligibleReason.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    day = models.DateField(_("day"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # Made on the phone when the outcome is tapped (a UUID): the same outcome sent
    # twice, late or out of order is stored once. Null for outcomes recorded
    # without one (older pages, imports, the simulator).
    client_id = models.UUIDField(_("phone's id"), null=True, blank=True, editable=False)
    # When the outcome was tapped, by the phone's clock, bounded by the server's
    # (never later than it was received, never earlier than the offline days allow).
    recorded_on_phone = models.DateTimeField(_("recorded on the phone at"), null=True, blank=True)
    # False when a visit of the same citizen that happened later (see happened_at)
    # was already stored: the visit is kept, the person's state follows the later one.
    applied = models.BooleanField(_("decided the person's state"), default=True)

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [models.Index(fields=["unit", "day"])]
        constraints = [
            models.UniqueConstraint(fields=["client_id"], name="field_visit_client_id_unique")
        ]

    def __str__(self) -> str:
        return f"{self.citizen_id} {self.outcome} {self.day:%d/%m/%Y}"

    @property
    def happened_at(self) -> dt.datetime:
        """The moment the conflict rule compares: the phone's time when there is one."""
        return self.recorded_on_phone or self.recorded_at
