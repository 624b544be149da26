"""Forms of the results pages: search, single upload, once-only lookup and reuse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chiendich.core import clock
from chiendich.core.inputs import DayField, DayInput, IdField
from chiendich.procedures.models import Procedure
from chiendich.units.models import Unit

from .models import ChangeKind, ResultType, SubjectKind
from .selectors import Validity

DATE_INPUT = DayInput()


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    loai = forms.ModelChoiceField(
        label=_("Result type"), queryset=ResultType.objects.all(), required=False
    )
    tu_ngay = DayField(label=_("Issued from"), required=False, widget=DATE_INPUT)
    den_ngay = DayField(label=_("Issued to"), required=False, widget=DATE_INPUT)
    hieu_luc = forms.ChoiceField(
        label=_("Validity"),
        required=False,
        choices=[
            ("", _("any")),
            (Validity.VALID, _("still valid")),
            (Validity.EXPIRED, _("expired")),
            (Validity.REVOKED, _("revoked")),
        ],
    )
    so_dinh_danh = forms.CharField(label=_("ID number or enterprise code"), required=False)
    cho_kiem_tra = forms.BooleanField(label=_("Scans waiting for a check"), required=False)


class UploadForm(forms.Form):
    """One result: the file and the metadata an officer reads off it."""

    tep = forms.FileField(label=_("File (PDF or image)"))
    don_vi = forms.ModelChoiceField(label=_("Issuing unit"), queryset=Unit.objects.none())
    so_ky_hieu = forms.CharField(label=_("Number and symbol"), max_length=100)
    ngay_ban_hanh = DayField(label=_("Issue date"), widget=DATE_INPUT)
    trich_yeu = forms.CharField(label=_("Title"), max_length=500)
    loai = forms.ModelChoiceField(label=_("Result type"), queryset=ResultType.objects.all())
    thu_tuc = forms.ModelChoiceField(
        label=_("Procedure"), queryset=Procedure.objects.all(), required=False, to_field_name="code"
    )
    loai_chu_the = forms.ChoiceField(
        label=_("Subject"), choices=SubjectKind.choices, initial=SubjectKind.CITIZEN
    )
    so_dinh_danh = forms.CharField(label=_("ID number or enterprise code"), max_length=20)
    ho_ten = forms.CharField(label=_("Subject's name"), max_length=200)
    hieu_luc_den = DayField(
        label=_("Valid until (empty: indefinite or the type's usual term)"),
        required=False,
        widget=DATE_INPUT,
    )
    ma_ho_so = forms.CharField(label=_("Source dossier code"), required=False, max_length=60)
    kieu_phien_ban = forms.ChoiceField(
        label=_("Kind of version"),
        choices=[
            (ChangeKind.AMENDMENT, _("amendment")),
            (ChangeKind.REPLACEMENT, _("replacement")),
        ],
        required=False,
    )
    ghi_chu = forms.CharField(label=_("What changed"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["don_vi"].queryset = units  # type: ignore[attr-defined]


class LookupForm(forms.Form):
    so_dinh_danh = forms.CharField(label=_("ID number or enterprise code"), max_length=20)
    thu_tuc = forms.ModelChoiceField(
        label=_("Procedure of the new dossier"),
        queryset=Procedure.objects.filter(accepted_evidence__isnull=False).distinct(),
        to_field_name="code",
    )


class ReuseForm(LookupForm):
    ket_qua = IdField(widget=forms.HiddenInput)
    ma_ho_so = forms.CharField(label=_("Dossier code"), max_length=60)


class RevokeForm(forms.Form):
    ngay_thu_hoi = DayField(label=_("Revoked on"), widget=DATE_INPUT, initial=clock.today)
    ly_do = forms.CharField(label=_("Reason"), max_length=500)


class ReviewForm(forms.Form):
    trich_yeu = forms.CharField(label=_("Title (correct it if needed)"), max_length=500)
