"""Reports the plan expects, their workflow, and units' communication activities.

A `Report` row is one expected report (Plan 383 VII): one responsible unit, one
report of the schedule, one data window and deadline. Rows exist from the moment
the plan makes them due (`reporting.schedule.reports_expect`), open or not; what
a unit sent is frozen in `snapshot` when it submits.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.audit import ChangeLoggedModel
from chiendich.accounts.restrict import RestrictedQuerySet
from chiendich.plans.models import Plan, ReportSchedule
from chiendich.units.models import Unit


class ReportState(models.TextChoices):
    OPEN = "open", _("open")
    SUBMITTED = "submitted", _("submitted")
    APPROVED = "approved", _("approved")
    LOCKED = "locked", _("locked")


class Report(ChangeLoggedModel):
    """One report a unit owes: which schedule entry, for which data, by when, in which state.

    `snapshot` holds the numbers as submitted (`reporting.content.ReportContent.as_dict`);
    later imports change the records but not the snapshot, so an approved report keeps
    what was approved and the page shows the difference to today's numbers.
    """

    scope_unit_field = "unit"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    schedule = models.ForeignKey(
        ReportSchedule,
        verbose_name=_("report"),
        on_delete=models.CASCADE,
        related_name="instances",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="+"
    )
    recipient_unit = models.ForeignKey(
        Unit, verbose_name=_("receiving unit"), on_delete=models.PROTECT, related_name="+"
    )
    data_from = models.DateField(_("data from"), null=True, blank=True)
    data_to = models.DateField(_("data to"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ReportState.choices, default=ReportState.OPEN
    )
    # The campaign day it was sent (core.clock.today(): the replay's day in the demo);
    # on time means submitted_on <= deadline.
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    # The narrative the plan expects of a report (results, difficulties, proposals),
    # written by the responsible unit while the report is open; optional.
    narrative_results = models.TextField(_("results achieved"), blank=True)
    narrative_difficulties = models.TextField(_("difficulties and obstacles"), blank=True)
    narrative_proposals = models.TextField(_("proposals"), blank=True)
    # Who signed, copied from the unit's Signer when the report is submitted, so a
    # document sent keeps its signer after the unit names another one.
    signer_authority = models.CharField(_("signing authority"), max_length=120, blank=True)
    signer_title = models.CharField(_("signer's title"), max_length=120, blank=True)
    signer_name = models.CharField(_("signer's name"), max_length=120, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "schedule__position", "unit__path"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "unit", "deadline"], name="reporting_report_unique"
            )
        ]
        indexes = [models.Index(fields=["plan", "state"])]

    def __str__(self) -> str:
        return f"{self.schedule.key} {self.unit.code} {self.deadline:%d/%m/%Y}"

    @property
    def slug(self) -> str:
        """The report's address: schedule key, unit code and deadline, readable in a URL."""
        return f"{self.schedule.key}.{self.unit.code}.{self.deadline:%Y%m%d}"

    @property
    def received(self) -> bool:
        return self.submitted_on is not None

    @property
    def on_time(self) -> bool:
        return self.submitted_on is not None and self.submitted_on <= self.deadline


class SignerBody(models.TextChoices):
    """Which body of a unit issues the report: its People's Committee (or the
    organization itself) or its police (Plan 383 VII.2.a's statistics)."""

    ADMINISTRATION = "administration", _("the unit itself (People's Committee, agency)")
    POLICE = "police", _("the unit's police")


class Signer(ChangeLoggedModel):
    """Who signs one body's reports for one unit (Decree 30/2020/NĐ-CP, Appendix I:
    the signing authority such as "TM. ỦY BAN NHÂN DÂN" or "KT. CHỦ TỊCH", the
    signer's title and full name, bottom right of the document).

    Set by an officer of the unit on the reports' settings page; read into every
    report the unit has not yet submitted (a submitted one keeps its own copy).
    """

    scope_unit_field = "unit"

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    body = models.CharField(
        _("issuing body"),
        max_length=20,
        choices=SignerBody.choices,
        default=SignerBody.ADMINISTRATION,
    )
    authority = models.CharField(_("signing authority"), max_length=120, blank=True)
    title = models.CharField(_("signer's title"), max_length=120)
    name = models.CharField(_("signer's name"), max_length=120)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["unit__path", "body"]
        verbose_name = _("signer")
        verbose_name_plural = _("signers")
        constraints = [
            models.UniqueConstraint(fields=["unit", "body"], name="reporting_signer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.body}: {self.title} {self.name}"


class CommunicationActivity(ChangeLoggedModel):
    """What one unit did on one day to spread the word (Plan 383 III.2, V.3, V.10).

    Entered by the unit; summed up the tree in the weekly and final reports.
    One row per unit and day: entering the day again replaces it.
    """

    scope_unit_field = "unit"
    FIELDS = (
        "sessions",
        "people_reached",
        "posters",
        "posts",
        "radio_spots",
        "tv_spots",
        "video_guides",
    )

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    sessions = models.PositiveIntegerField(_("sessions held"), default=0)
    people_reached = models.PositiveIntegerField(_("people reached"), default=0)
    posters = models.PositiveIntegerField(_("posters and banners"), default=0)
    posts = models.PositiveIntegerField(_("social media posts"), default=0)
    radio_spots = models.PositiveIntegerField(_("radio spots"), default=0)
    tv_spots = models.PositiveIntegerField(_("TV spots"), default=0)
    video_guides = models.PositiveIntegerField(_("video guides"), default=0)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "unit__path"]
        verbose_name = _("communication activity")
        verbose_name_plural = _("communication activities")
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], name="reporting_activity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.date:%d/%m/%Y}"
