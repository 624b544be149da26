"""Agencies' staff lists (Plan 383 II.1.a note, V.5.b, V.6).

A staff member is one person on one agency's list. They are matched to the
police's citizen records by ID number at read time (selectors), not by a
foreign key: a staff list imported before the police list, or a citizen
imported after it, matches without any relinking.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from chiendich.accounts.restrict import RestrictedQuerySet


class StaffCategory(models.TextChoices):
    """Who the plan counts: II.1.a note (officials ... armed forces), V.5.b teachers,
    V.6 industrial-zone workers."""

    CAN_BO = "can_bo", _("official (cán bộ)")
    CONG_CHUC = "cong_chuc", _("civil servant (công chức)")
    VIEN_CHUC = "vien_chuc", _("public employee (viên chức)")
    ARMED_FORCES = "luc_luong_vu_trang", _("armed forces")
    PARTY_MEMBER = "dang_vien", _("party member")
    TEACHER = "giao_vien", _("teacher")
    WORKER = "cong_nhan", _("worker")


class StaffMember(models.Model):
    """One person on an agency's staff list. Scoped by the agency: the agency and
    every unit above it in the tree see the row (restrict)."""

    agency = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="staff", verbose_name=_("agency")
    )
    id_number = models.CharField(_("personal ID number"), max_length=12, db_index=True)
    full_name = models.CharField(_("full name"), max_length=120)
    position = models.CharField(_("position"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=StaffCategory.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "agency"

    class Meta:
        ordering = ["agency_id", "category", "full_name", "id"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "id_number"], name="staff_member_once_per_agency"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name
