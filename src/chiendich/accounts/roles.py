"""Roles and what each may do inside its units.

A role says what kind of work a user does; the units a user is bound to say
where. Scope (where) is enforced by RestrictedQuerySet; this table is the what.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVINCE_ADMIN = "province_admin", _("Province administrator")
    PROVINCE_VIEWER = "province_viewer", _("Province leader (viewer)")
    DISTRICT_OFFICER = "district_officer", _("District officer")
    COMMUNE_OFFICER = "commune_officer", _("Commune officer")
    POLICE_PROVINCE = "police_province", _("Provincial police officer")
    POLICE_DISTRICT = "police_district", _("District police officer")
    POLICE_COMMUNE = "police_commune", _("Commune police officer")
    AGENCY_FOCAL_POINT = "agency_focal_point", _("Agency focal point")
    VOLUNTEER = "volunteer", _("Volunteer team member")


class Action(models.TextChoices):
    VIEW = "view", _("view")
    CHANGE = "change", _("record and import data")
    MANAGE = "manage", _("manage users, plans and targets")
    VIEW_PERSONAL = "view_personal", _("see and export ID and phone numbers")
    APPROVE = "approve", _("approve reports")


_ALL = frozenset(Action.values)

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.PROVINCE_ADMIN: _ALL,
    Role.PROVINCE_VIEWER: frozenset({Action.VIEW, Action.APPROVE}),
    Role.DISTRICT_OFFICER: frozenset({Action.VIEW, Action.CHANGE, Action.APPROVE}),
    Role.COMMUNE_OFFICER: frozenset({Action.VIEW, Action.CHANGE}),
    Role.POLICE_PROVINCE: frozenset(
        {Action.VIEW, Action.CHANGE, Action.MANAGE, Action.VIEW_PERSONAL, Action.APPROVE}
    ),
    Role.POLICE_DISTRICT: frozenset(
        {Action.VIEW, Action.CHANGE, Action.VIEW_PERSONAL, Action.APPROVE}
    ),
    Role.POLICE_COMMUNE: frozenset({Action.VIEW, Action.CHANGE, Action.VIEW_PERSONAL}),
    Role.AGENCY_FOCAL_POINT: frozenset({Action.VIEW, Action.CHANGE, Action.VIEW_PERSONAL}),
    Role.VOLUNTEER: frozenset({Action.VIEW, Action.CHANGE, Action.VIEW_PERSONAL}),
}


def role_allows(role: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, frozenset())
