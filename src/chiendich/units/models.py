"""The unit tree: territorial units with their GSO codes, hamlets, and the
organizations (departments, police, schools, firms) attached to them.

One table holds them all so that one scope rule (a user sees the subtree of
their units) covers every kind. The tree has no fixed depth: since 1/7/2025
communes sit directly under the province, so code asks a unit's `level`
(what it is administratively), never its depth.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.audit import ChangeLoggedModel
from chiendich.accounts.restrict import RestrictedQuerySet


class Level(models.TextChoices):
    """Administrative level a unit belongs to or, for an organization, works at."""

    PROVINCE = "province", _("Province level")
    DISTRICT = "district", _("District level")
    COMMUNE = "commune", _("Commune level")
    HAMLET = "hamlet", _("Hamlet level")


class Kind(models.TextChoices):
    TERRITORIAL = "territorial", _("Territorial unit")
    ORGANIZATION = "organization", _("Organization")


class UnitType(models.TextChoices):
    """What a unit is. Commune types matter: Plan 383 sets different targets for each."""

    PROVINCE = "tinh", _("Province")
    CENTRAL_CITY = "thanh_pho_tw", _("Centrally-run city")
    RURAL_DISTRICT = "huyen", _("Rural district")
    URBAN_DISTRICT = "quan", _("Urban district")
    CITY = "thanh_pho", _("Provincial city")
    TOWN = "thi_xa", _("District-level town")
    COMMUNE = "xa", _("Commune")
    WARD = "phuong", _("Ward")
    TOWNSHIP = "thi_tran", _("Township")
    HAMLET = "ap", _("Hamlet")
    QUARTER = "khu_pho", _("Urban quarter")
    DEPARTMENT = "so_ban_nganh", _("Department or agency")
    MASS_ORGANIZATION = "doan_the", _("Mass organization")
    PEOPLES_COMMITTEE = "ubnd", _("People's Committee")
    POLICE = "cong_an", _("Police")
    SCHOOL = "truong_hoc", _("School")
    INDUSTRIAL_ZONE = "khu_cong_nghiep", _("Industrial zone")
    ENTERPRISE = "doanh_nghiep", _("Enterprise")
    OTHER_ORGANIZATION = "to_chuc_khac", _("Other organization")


TERRITORIAL_TYPES = {
    UnitType.PROVINCE,
    UnitType.CENTRAL_CITY,
    UnitType.RURAL_DISTRICT,
    UnitType.URBAN_DISTRICT,
    UnitType.CITY,
    UnitType.TOWN,
    UnitType.COMMUNE,
    UnitType.WARD,
    UnitType.TOWNSHIP,
    UnitType.HAMLET,
    UnitType.QUARTER,
}

PATH_SEPARATOR = "/"


class UnitQuerySet(RestrictedQuerySet):
    def territorial(self) -> UnitQuerySet:
        return self.filter(kind=Kind.TERRITORIAL)

    def organizations(self) -> UnitQuerySet:
        return self.filter(kind=Kind.ORGANIZATION)

    def subtree(self, unit: Unit) -> UnitQuerySet:
        """`unit` and everything below it."""
        return self.filter(path__startswith=unit.path)


class Unit(ChangeLoggedModel):
    """A node of the unit tree: province, district, commune, hamlet or organization.

    `path` is the codes from the root down, each followed by "/"
    ("82/815/28249/"), so a subtree is one indexed prefix query.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.TERRITORIAL
    )
    type = models.CharField(_("type"), max_length=20, choices=UnitType.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=400, db_index=True, editable=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=120, blank=True)

    objects = UnitQuerySet.as_manager()

    scope_unit_field = ""  # a unit is scoped by its own path

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [models.Index(fields=["level", "type"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="unit_valid_to_after_valid_from",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def parent_code(self) -> str:
        parts = self.path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)
        return parts[-2] if len(parts) > 1 else ""

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to the parent."""
        return self.path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)[:-1]

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id and self.parent else ""
        return f"{prefix}{self.code}{PATH_SEPARATOR}"

    def is_valid_on(self, day) -> bool:  # type: ignore[no-untyped-def]
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )
