"""The unit tree: territorial units with their GSO codes, hamlets, and the
organizations (departments, police, schools, firms) attached to them.

One table holds them all so that one scope rule (a user sees the subtree of
their units) covers every kind. The tree has no fixed depth: since 1/7/2025
communes sit directly under the province, so code asks a unit's `level`
(what it is administratively), never its depth.

Units are dated. The 2023 tree (province > district > commune) and the tree
in force since 1/7/2025 (province > commune) live side by side, and the same
GSO code names different places in each: 28249 was Phường 5 (Mỹ Tho) until
30/6/2025 and is Phường Đạo Thạnh since. So `gso_code` (the code documents and
files write) is not an identity; a date picks the unit (selectors.unit_at).
`code` is the identity, used in paths and URLs: the bare code for the 2023
tree's units, the code with the tree's year for later trees ("28249.2025").
Lineage rows say which unit became which; `successor_path` puts each unit of
an earlier tree under the unit of today's tree its records now count for.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
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
    SPECIAL_ZONE = "dac_khu", _("Special zone")
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
    UnitType.SPECIAL_ZONE,
    UnitType.HAMLET,
    UnitType.QUARTER,
}

PATH_SEPARATOR = "/"


def valid_on(day: dt.date, field: str = "") -> models.Q:
    """Units (reached through `field`) in force on `day`; no date: no limit on that side."""
    prefix = f"{field}__" if field else ""
    return (
        models.Q(**{f"{prefix}valid_from__isnull": True})
        | models.Q(**{f"{prefix}valid_from__lte": day})
    ) & (
        models.Q(**{f"{prefix}valid_to__isnull": True})
        | models.Q(**{f"{prefix}valid_to__gte": day})
    )


def path_codes(path: str, successor_path: str = "") -> list[str]:
    """The units a row of a unit with this path adds to: its own ancestors and, for a
    unit of an earlier tree, the ancestors of its successor in today's tree."""
    codes = path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)
    if successor_path:
        codes += successor_path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)
    return codes


class UnitQuerySet(RestrictedQuerySet):
    def territorial(self) -> UnitQuerySet:
        return self.filter(kind=Kind.TERRITORIAL)

    def organizations(self) -> UnitQuerySet:
        return self.filter(kind=Kind.ORGANIZATION)

    def subtree(self, unit: Unit) -> UnitQuerySet:
        """`unit` and everything below it."""
        return self.filter(path__startswith=unit.path)

    def valid_on(self, day: dt.date) -> UnitQuerySet:
        """Units in force on `day` (no date means no limit on that side)."""
        return self.filter(valid_on(day))

    def territory(self, unit: Unit) -> UnitQuerySet:
        """`unit`'s subtree and the units of earlier trees whose records now count under it
        (its predecessors, through lineage: see Unit.successor_path)."""
        return self.filter(
            models.Q(path__startswith=unit.path) | models.Q(successor_path__startswith=unit.path)
        )


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
    # The code as documents, files and officers write it: the GSO code of a territorial
    # unit, the code given to a hamlet or organization. Not unique across trees.
    gso_code = models.CharField(_("code"), max_length=40, db_index=True, default="")
    # For a unit of an earlier tree: the path, in today's tree, of the unit whose
    # figures its records now add to (its successor, or for a hamlet of a split
    # commune the commune an officer assigned it to; the new province while none
    # is assigned). Empty for units of today's tree. Rebuilt by lineage.py.
    successor_path = models.CharField(max_length=400, db_index=True, blank=True, editable=False)
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
    def tree_suffix(self) -> str:
        """What the identity adds to the code: "" in the 2023 tree, ".2025" after."""
        return self.code[len(self.gso_code) :] if self.code.startswith(self.gso_code) else ""

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

    def is_valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class Lineage(models.Model):
    """`predecessor` (a unit of an earlier tree) became, in whole or in part, `successor`.

    From the package's conversion table for provinces and communes (Resolution
    1663/NQ-UBTVQH15 and its siblings, through vietnam-provinces); an officer's
    assignment for a hamlet of a commune split across several new ones, so that
    the hamlet's records follow it. An old commune with more than one successor
    is split: its records count for a new commune only through its hamlets.
    """

    class Source(models.TextChoices):
        GSO = "gso", _("conversion table")
        ASSIGNED = "assigned", _("assigned by an officer")

    predecessor = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="successor_links", verbose_name=_("from")
    )
    successor = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="predecessor_links", verbose_name=_("to")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now=True)

    class Meta:
        verbose_name = _("lineage")
        verbose_name_plural = _("lineage")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="units_lineage_unique_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id}"
