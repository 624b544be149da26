from django.contrib import admin

from .models import Team, Visit


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "type", "commune")
    list_filter = ("type",)
    search_fields = ("name", "commune__name", "commune__code")
    raw_id_fields = ("commune",)
    filter_horizontal = ("hamlets", "members")


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: a visit is evidence, corrected by recording a new outcome."""

    list_display = ("day", "citizen", "outcome", "unit", "team", "recorded_by", "recorded_at")
    list_filter = ("outcome",)
    raw_id_fields = ("citizen", "household", "unit", "team", "recorded_by")

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
