"""Administrative procedures (TTHC): the catalogue, dossiers, daily counts and aggregate forms.

Data flows one way (Plan 383 II.1.b–đ, R3–R6): one-stop exports become
`Dossier` rows (importing.py); each import rebuilds the `DossierCount` rows it
touched (counts.py); indicators are computed at read time from summed counts
and from the `AggregateForm`s of units that have no record-level export
(indicators.py, selectors.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.audit import ChangeLoggedModel
from chiendich.accounts.restrict import RestrictedQuerySet
from chiendich.core.models import ImportHistory


class OnlineLevel(models.TextChoices):
    """How far a procedure can be done online (Decree 42/2022/NĐ-CP)."""

    FULL = "toan_trinh", _("fully online")
    PARTIAL = "mot_phan", _("partly online")
    NONE = "khong", _("not online")


class Channel(models.IntegerChoices):
    """How a dossier was submitted, as the one-stop exports code it ("Kênh")."""

    IN_PERSON = 1, _("in person")
    ONLINE = 2, _("online")
    POSTAL = 3, _("by post")


class Payment(models.IntegerChoices):
    """Where the fees were paid online ("Thanh toán trực tuyến"); 0 when not online."""

    NONE = 0, _("not paid online")
    NATIONAL_PORTAL = 1, _("National Public Service Portal")
    PROVINCIAL_GATEWAY = 2, _("provincial payment gateway")


class DossierStatus(models.TextChoices):
    PROCESSING = "processing", _("being processed")
    SUPPLEMENT = "supplement", _("waiting for additional documents")
    RESOLVED = "resolved", _("resolved")
    REJECTED = "rejected", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_STATUSES = (DossierStatus.PROCESSING.value, DossierStatus.SUPPLEMENT.value)


class Procedure(ChangeLoggedModel):
    """One administrative procedure of the national catalogue (Mã TTHC), as this province
    performs it. The flags that decide which indicator counts a dossier live here,
    not on the dossier: whether the procedure has fees, a paper result, and whether it
    is one of Project 06's 25 essential services (and one of its 11 police services).
    """

    code = models.CharField(_("procedure code"), max_length=40, unique=True)
    name = models.TextField(_("name"))
    sector = models.CharField(_("sector"), max_length=200, blank=True)
    levels = models.JSONField(_("levels"), default=list)  # units.Level values
    fee_bearing = models.BooleanField(_("has fees or charges"), default=False)
    paper_result = models.BooleanField(_("has a paper result"), default=True)
    online_level = models.CharField(
        _("online service level"), max_length=12, choices=OnlineLevel.choices
    )
    essential_06 = models.BooleanField(_("Project 06 essential service"), default=False)
    police_service = models.BooleanField(_("police service"), default=False)
    uncertain = models.BooleanField(_("classification to be verified"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("administrative procedure")
        verbose_name_plural = _("administrative procedures")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def police_essential(self) -> bool:
        """One of the 11 police services among Project 06's 25 essential services."""
        return self.essential_06 and self.police_service


class DossierImport(ImportHistory):
    """One import of a one-stop export: what it held, what it wrote, and who ran it."""

    file_name = models.CharField(_("file"), max_length=255)
    rows_valid = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)

    class Meta(ImportHistory.Meta):
        verbose_name = _("dossier import")
        verbose_name_plural = _("dossier imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class Dossier(models.Model):
    """A dossier (hồ sơ) as the one-stop system exported it, identified by its Mã hồ sơ.

    `unit` is the receiving unit; its level is the dossier's level. Written only by
    set-based SQL (importing.py, simulate.py), never saved one by one, so it is not
    change-logged: each import is one AuditEvent. `overdue_on` is derived: the day
    after the due date when the dossier was not closed by then, so counts can tell
    how many open dossiers are overdue on any day without a date function in SQL.
    """

    code = models.CharField(_("dossier code"), max_length=60, unique=True)
    procedure = models.ForeignKey(
        Procedure,
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="dossiers",
        db_index=False,  # counts group by it; nothing looks a procedure's dossiers up
    )
    unit = models.ForeignKey(
        "units.Unit",
        verbose_name=_("receiving unit"),
        on_delete=models.PROTECT,
        related_name="dossiers",
        db_index=False,  # covered by the (unit, received_on) index
    )
    channel = models.PositiveSmallIntegerField(_("channel"), choices=Channel.choices)
    received_on = models.DateField(_("received on"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    finished_on = models.DateField(_("finished on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=DossierStatus.choices)
    digitized = models.BooleanField(_("has digitized components"), default=False)
    e_result = models.BooleanField(_("has an electronic result"), default=False)
    fee = models.BigIntegerField(_("fees and charges (VND)"), default=0)
    payment = models.PositiveSmallIntegerField(
        _("paid online"), choices=Payment.choices, default=Payment.NONE
    )
    reused = models.BooleanField(_("reuses digitized data"), default=False)
    overdue_on = models.DateField(null=True, blank=True, editable=False)
    batch = models.ForeignKey(
        DossierImport,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"

    class Meta:
        ordering = ["received_on", "code"]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        # In the order counts.counts_rebuild groups the received days: no sort.
        indexes = [
            models.Index(
                fields=["unit", "received_on", "procedure"], name="procedures_dossier_unit_day"
            )
        ]

    def __str__(self) -> str:
        return self.code


class DossierCount(models.Model):
    """Integer counters of one receiving unit, one day and one procedure (R3–R6).

    Counters named `received*`, `digitized*`, `fee_zero`, `paid_*` and `reused`
    count dossiers received on `day`; `resolved*`, `finished*` and `closed*` count
    dossiers that ended on `day`; `became_overdue` counts dossiers whose due date
    passed on `day - 1` while still open. Rebuilt from Dossier by counts.py; a
    parent unit's figures are sums over its subtree, computed at read time.
    """

    unit = models.ForeignKey(
        "units.Unit", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    received = models.PositiveIntegerField(default=0)
    received_online = models.PositiveIntegerField(default=0)
    received_postal = models.PositiveIntegerField(default=0)
    digitized = models.PositiveIntegerField(default=0)
    digitized_with_result = models.PositiveIntegerField(default=0)
    fee_zero = models.PositiveIntegerField(default=0)
    paid_online = models.PositiveIntegerField(default=0)
    paid_national = models.PositiveIntegerField(default=0)
    reused = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_online = models.PositiveIntegerField(default=0)
    resolved_e_result = models.PositiveIntegerField(default=0)
    finished = models.PositiveIntegerField(default=0)
    finished_on_time = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    closed_late = models.PositiveIntegerField(default=0)
    became_overdue = models.PositiveIntegerField(default=0)

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("daily dossier count")
        verbose_name_plural = _("daily dossier counts")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "day", "procedure"], name="procedures_count_unique_cell"
            ),
        ]
        indexes = [models.Index(fields=["day"], name="procedures_count_day")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day} {self.procedure_id}"


COUNT_FIELDS = tuple(
    f.name for f in DossierCount._meta.concrete_fields if isinstance(f, models.PositiveIntegerField)
)


class AggregateForm(ChangeLoggedModel):
    """Counts a unit without record-level exports enters for one reporting batch
    (Plan 383 VII.2.b: batches with data windows, e.g. 01/9–15/9/2023).

    The counts are of dossiers the unit itself received (not its subtree), so
    they add to the same sums as imported records; a unit cannot have both for
    the same window (services.aggregate_form_submit checks it; the dossier
    import refuses rows in a window a form covers).
    """

    unit = models.ForeignKey(
        "units.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    report = models.ForeignKey(
        "plans.ReportSchedule",
        verbose_name=_("report"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Copied from the report, so a form keeps its meaning if the plan file changes.
    report_key = models.CharField(_("report"), max_length=60)
    data_from = models.DateField(_("data from"))
    data_to = models.DateField(_("data to"))
    received = models.PositiveIntegerField(_("dossiers received"))
    received_online = models.PositiveIntegerField(_("of which received online"))
    digitized = models.PositiveIntegerField(_("dossiers digitized"))
    fee_bearing = models.PositiveIntegerField(_("dossiers with fees to pay"))
    paid_online = models.PositiveIntegerField(_("of which paid online"))
    resolved = models.PositiveIntegerField(_("dossiers resolved"))
    resolved_e_result = models.PositiveIntegerField(_("of which with an electronic result"))
    reused = models.PositiveIntegerField(_("dossiers reusing digitized data"))
    note = models.TextField(_("note"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"

    class Meta:
        ordering = ["data_from", "unit__path"]
        verbose_name = _("aggregate form")
        verbose_name_plural = _("aggregate forms")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "report_key"], name="procedures_form_unique_batch"
            ),
            models.CheckConstraint(
                condition=models.Q(data_to__gte=models.F("data_from")),
                name="procedures_form_window_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_key} {self.unit_id}"


FORM_FIELDS = (
    "received",
    "received_online",
    "digitized",
    "fee_bearing",
    "paid_online",
    "resolved",
    "resolved_e_result",
    "reused",
)
