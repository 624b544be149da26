"""A campaign plan as rows: the plan, its peak periods, targets, reports and deliverables.

Rows are written only by services.plan_load from a validated plan file
(schema.PlanFile); the file stays the source of truth and is kept whole in
Plan.document. Children are identified by their `key` inside the plan, so a
reload updates them in place and the change log shows what really changed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.audit import ChangeLoggedModel
from chiendich.accounts.restrict import RestrictedQuerySet
from chiendich.units.models import Unit


class Measure(models.TextChoices):
    PERCENT = "percent", _("percent")
    COUNT = "count", _("count")


class ReportKind(models.TextChoices):
    ONCE = "once", _("once, by a deadline")
    DAILY = "daily", _("every day of the period")
    WEEKLY = "weekly", _("every week of the period")
    BATCH = "batch", _("in batches with data windows")


class Plan(ChangeLoggedModel):
    """A province's campaign plan (e.g. Kế hoạch 383/KH-UBND), loaded from its plan file.

    `document` is the validated file as JSON and `checksum` the SHA-256 of its
    normalised form: a reload with the same checksum writes nothing.
    """

    # The load itself is recorded as one AuditEvent carrying file and checksum; the
    # change log keeps to the plan's facts so a reload that only touched a target
    # shows as exactly that target's change.
    change_log_exclude = ("document", "checksum", "source_file", "loaded_at")

    code = models.SlugField(_("code"), max_length=80, unique=True)
    number = models.CharField(_("number"), max_length=60)
    issued_on = models.DateField(_("issued on"))
    issuer = models.CharField(_("issuer"), max_length=200)
    signer_name = models.CharField(_("signed by"), max_length=120)
    signer_title = models.CharField(_("signer's title"), max_length=120)
    title = models.TextField(_("title"))
    place = models.CharField(_("place"), max_length=120)
    province = models.ForeignKey(
        Unit, verbose_name=_("province"), on_delete=models.PROTECT, related_name="plans"
    )
    note = models.TextField(_("note"), blank=True)
    document = models.JSONField(_("plan file as loaded"))
    checksum = models.CharField(_("checksum (SHA-256)"), max_length=64)
    source_file = models.CharField(_("source file"), max_length=500, blank=True)
    emulation = models.JSONField(_("emulation rules"), default=dict, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        ordering = ["-issued_on", "code"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return f"{self.number} ({self.place})"


class Period(ChangeLoggedModel):
    """A peak period of a plan (đợt cao điểm), first and last day both included."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="periods"
    )
    key = models.CharField(_("key"), max_length=60)
    section = models.CharField(_("section of the plan"), max_length=20, blank=True)
    name = models.TextField(_("name"))
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))

    class Meta:
        ordering = ["plan_id", "start", "key"]
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="plans_period_unique_key"),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="plans_period_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.start:%d/%m/%Y}–{self.end:%d/%m/%Y})"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class Target(ChangeLoggedModel):
    """A target value of one indicator for the units of given levels and types.

    Plan 383 II.1.b sets one indicator (online dossier rate) at 70% for the
    province, 60% for districts and 25/55/45% for xã/phường/thị trấn: five
    targets sharing an indicator, told apart by `levels` and `unit_types`.
    """

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="targets"
    )
    key = models.CharField(_("key"), max_length=60)
    position = models.PositiveIntegerField(_("position"), default=0)
    section = models.CharField(_("section of the plan"), max_length=20)
    indicator = models.CharField(_("indicator"), max_length=60, db_index=True)
    name = models.TextField(_("name"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    measure = models.CharField(_("measure"), max_length=10, choices=Measure.choices)
    # RESTRICT, not PROTECT: deleting the whole plan still cascades through both.
    period = models.ForeignKey(
        Period,
        verbose_name=_("period"),
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="targets",
    )
    levels = models.JSONField(_("levels"), default=list)
    unit_types = models.JSONField(_("unit types"), default=list, blank=True)
    applies_from = models.DateField(_("applies from"), null=True, blank=True)
    is_stretch = models.BooleanField(_("stretch goal"), default=False)
    is_context = models.BooleanField(_("national context, not assigned"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["plan_id", "position"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="plans_target_unique_key"),
            models.CheckConstraint(
                condition=models.Q(value__gte=0), name="plans_target_value_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"

    def applies_to(self, unit: Unit) -> bool:
        """Whether this target is set for `unit`, by its level and type.

        An empty `unit_types` means every type at the target's levels. Which
        province the unit is in is the caller's business (see
        selectors.targets_for_unit), so this needs no query.
        """
        if unit.level not in self.levels:
            return False
        return not self.unit_types or unit.type in self.unit_types


class ReportSchedule(ChangeLoggedModel):
    """A report the plan requires: who sends it, on which units, to whom, and when.

    `once` has a deadline; `daily` and `weekly` (on `weekday`, 0 = Monday)
    run through their period; `batch` reports data from `data_from` to
    `data_to` by `deadline`.
    """

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="reports"
    )
    key = models.CharField(_("key"), max_length=60)
    position = models.PositiveIntegerField(_("position"), default=0)
    section = models.CharField(_("section of the plan"), max_length=20)
    name = models.TextField(_("name"))
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    period = models.ForeignKey(
        Period,
        verbose_name=_("period"),
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="reports",
    )
    responsible = models.TextField(_("responsible"))
    # A list, not one level: VII.1 asks both provincial departments and districts.
    responsible_levels = models.JSONField(_("levels of the reporting units"), default=list)
    responsible_unit_types = models.JSONField(
        _("types of the reporting units"), default=list, blank=True
    )
    reports_on_level = models.CharField(_("one row per unit of level"), max_length=10, blank=True)
    recipient = models.TextField(_("recipient"))
    recipient_level = models.CharField(_("level of the receiving unit"), max_length=10, blank=True)
    weekday = models.PositiveSmallIntegerField(_("weekday (0 = Monday)"), null=True, blank=True)
    batch = models.PositiveSmallIntegerField(_("batch number"), null=True, blank=True)
    data_from = models.DateField(_("data from"), null=True, blank=True)
    data_to = models.DateField(_("data to"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    source = models.TextField(_("data source"), blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["plan_id", "position"]
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="plans_report_unique_key"),
            models.CheckConstraint(
                condition=models.Q(weekday__isnull=True) | models.Q(weekday__lte=6),
                name="plans_report_weekday_0_6",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Deliverable(ChangeLoggedModel):
    """A dated task of the plan that is not a report: due by `due`, or offered `until`."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="deliverables"
    )
    key = models.CharField(_("key"), max_length=60)
    position = models.PositiveIntegerField(_("position"), default=0)
    section = models.CharField(_("section of the plan"), max_length=20)
    name = models.TextField(_("name"))
    responsible = models.TextField(_("responsible"))
    due = models.DateField(_("due"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["plan_id", "position"]
        verbose_name = _("deliverable")
        verbose_name_plural = _("deliverables")
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="plans_deliverable_unique_key"),
        ]

    def __str__(self) -> str:
        return self.key


class TargetAllocation(ChangeLoggedModel):
    """A count target split down the unit tree (Plan 383 II.1.a: the provincial police
    give each unit its share of the 903,203 accounts).

    `value` of a unit's children always sums to the unit's own value. Values are
    computed in proportion to `basis` (eligible citizens when allocated) unless an
    officer fixed one (`is_override`); the others then share what is left.
    """

    target = models.ForeignKey(
        Target, verbose_name=_("target"), on_delete=models.CASCADE, related_name="allocations"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="target_allocations"
    )
    value = models.PositiveIntegerField(_("allocated value"))
    basis = models.PositiveIntegerField(_("eligible citizens when allocated"), default=0)
    is_override = models.BooleanField(_("set by hand"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"

    class Meta:
        ordering = ["target_id", "unit__path"]
        verbose_name = _("allocated target")
        verbose_name_plural = _("allocated targets")
        constraints = [
            models.UniqueConstraint(fields=["target", "unit"], name="plans_allocation_unique_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.target.key} {self.unit.code} = {self.value}"
