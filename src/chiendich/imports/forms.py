"""The upload form: which kind of file, which file, and (for a user bound to several
units) which unit it is for."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chiendich.units.models import Unit

from .kinds import all_suffixes, kind_choices


class UploadForm(forms.Form):
    """Kind and file; the unit only when the user has several to choose from."""

    kind = forms.ChoiceField(label=_("Kind of file"))
    file = forms.FileField(label=_("File (CSV UTF-8 or XLSX; a zip for digitized results)"))
    unit = forms.ModelChoiceField(label=_("For unit"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, units: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices(user)  # type: ignore[attr-defined]
        self.fields["file"].widget.attrs["accept"] = ",".join(all_suffixes())
        unit_field: Any = self.fields["unit"]
        unit_field.queryset = units
        unit_field.label_from_instance = lambda u: f"{u.name} ({u.code})"
        if units.count() <= 1:
            # One unit (or a superuser without any): nothing to choose.
            unit_field.required = False
            unit_field.widget = forms.HiddenInput()
