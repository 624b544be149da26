"""Forms of the split-communes page: assign a hamlet, upload many assignments, place a
citizen recorded without a hamlet. Fields are named as the URLs are, in Vietnamese."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chiendich.core.inputs import IdField

from .models import Unit

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # a province's hamlets fit in a few hundred kilobytes


class AssignForm(forms.Form):
    """One hamlet of a split commune, to one of the commune's new communes (empty: none)."""

    ap = forms.ModelChoiceField(queryset=Unit.objects.none(), to_field_name="code")
    xa_moi = forms.ModelChoiceField(
        queryset=Unit.objects.none(), to_field_name="code", required=False
    )

    def __init__(self, *args: Any, hamlets: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ap"].queryset = hamlets  # type: ignore[attr-defined]
        self.fields["xa_moi"].queryset = candidates  # type: ignore[attr-defined]


class UploadForm(forms.Form):
    tep = forms.FileField(label=_("CSV file"))

    def clean_tep(self) -> Any:
        upload = self.cleaned_data["tep"]
        if not (upload.name or "").lower().endswith(".csv"):
            raise forms.ValidationError(_("The file must be a CSV file (.csv)."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload


class PlaceForm(forms.Form):
    """A citizen on the commune itself, to one of the commune's hamlets."""

    cong_dan = IdField()
    ap = forms.ModelChoiceField(queryset=Unit.objects.none(), to_field_name="code")

    def __init__(self, *args: Any, hamlets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ap"].queryset = hamlets  # type: ignore[attr-defined]
