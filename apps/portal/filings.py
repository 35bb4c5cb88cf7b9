"""FinCEN filings: the CTR, SAR and FBAR drafts and filed reports, each with its batch XML checked against FinCEN's
schema when the page is shown (the problems the schema names, if any), and the filing workflow through
``apps.compliance.reports.services``: review (the XML is validated again), approve (a second officer: the service
refuses the reviewer and the officer who drafted it), mark filed with FinCEN's BSA id, or reject with a reason. One
service call each, audited there.

The list also drafts reports by hand: the CTRs of a business day (``reports.ctrs_generate``: every customer whose
cash that day is over the threshold and has no CTR yet) and a customer's FBAR for a year (``reports.fbar_generate``:
refused when none is due or one exists). A draft changes nothing outside the filings; it goes through the same
review and second-officer approval as any other, so generating needs no approval of its own.

Reading and downloading the XML need ``compliance.view_amlreport``; drafting ``compliance.add_amlreport``;
review, approve and reject ``compliance.review_amlreport``; marking filed ``compliance.file_amlreport``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.compliance import aml_selectors
from apps.compliance.aml_models import ReportStatus, ReportType
from apps.compliance.reports import services as reports
from apps.compliance.reports.render import report_parties
from apps.core.errors import DomainError, NotFound

from .pagination import filtered_page
from .views import not_found, staff_permission

VIEW_REPORT = "compliance.view_amlreport"
GENERATE_REPORT = "compliance.add_amlreport"
REVIEW_REPORT = "compliance.review_amlreport"
FILE_REPORT = "compliance.file_amlreport"


class ReportFilterForm(forms.Form):
    report_type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Any")] + [(t, t) for t in ReportType.values]
    )
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any")] + list(ReportStatus.choices))
    customer = forms.CharField(label="Customer", required=False, max_length=64)


class FileForm(forms.Form):
    bsa_id = forms.RegexField(label="BSA id (from FinCEN's acknowledgement)", regex=r"^[0-9]{1,32}$", max_length=32)


class RejectForm(forms.Form):
    reason = forms.CharField(label="Reason not to file", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class StepForm(forms.Form):
    """Review and approve carry nothing but the officer's intent (and the CSRF token)."""


ACTION_FORMS = {"review": StepForm, "approve": StepForm, "file": FileForm, "reject": RejectForm}


class CtrGenerateForm(forms.Form):
    day = forms.DateField(label="Business day", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise ValidationError("A CTR reports a day that has happened.", code="day_in_future")
        return day


class FbarGenerateForm(forms.Form):
    customer = forms.CharField(label="Customer", max_length=64)
    year = forms.IntegerField(label="Calendar year", min_value=1990)

    def clean_year(self):
        year = self.cleaned_data["year"]
        if year > timezone.localdate().year:
            raise ValidationError("An FBAR reports a calendar year that has begun.", code="year_in_future")
        return year


GENERATE_FORMS = {"ctr": CtrGenerateForm, "fbar": FbarGenerateForm}


def _generate_forms(bound: dict | None = None) -> dict[str, forms.Form]:
    today = timezone.localdate()
    found = {
        "ctr_form": CtrGenerateForm(auto_id="ctr_%s", initial={"day": reports.previous_business_day()}),
        "fbar_form": FbarGenerateForm(auto_id="fbar_%s", initial={"year": today.year - 1}),
    }
    return {**found, **(bound or {})}


def _list_page(request, *, bound: dict | None = None, status: int = 200):
    filters, page = filtered_page(
        request,
        ReportFilterForm,
        lambda values: aml_selectors.report_list(
            report_type=values.get("report_type") or None,
            status=values.get("status") or None,
            owner_id=(values.get("customer") or "").strip() or None,
        ),
    )
    rows = [(r, aml_selectors.report_validation(report=r)) for r in page.object_list]
    context = {"filters": filters, "page": page, "rows": rows, "may_generate": request.user.has_perm(GENERATE_REPORT),
               **_generate_forms(bound)}
    return render(request, "portal/filings.html", context, status=status)


@require_GET
@staff_permission(VIEW_REPORT)
def report_list(request):
    return _list_page(request)


def _generate(request, name: str, run):
    """Validate generate form ``name`` and run its one service call; bad input or a refusal (no FBAR due, one
    exists) re-renders the list with the error on the form, with the refusal's status, and drafts nothing."""
    form = GENERATE_FORMS[name](request.POST, auto_id=f"{name}_%s")
    if form.is_valid():
        try:
            return run(form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, f"Refused ({exc.code}): {exc.message}")
            status = exc.http_status
    else:
        status = 400
    return _list_page(request, bound={f"{name}_form": form}, status=status)


@require_POST
@staff_permission(GENERATE_REPORT)
def ctr_generate(request):
    def run(values):
        day = values["day"]
        drafted = reports.ctrs_generate(day=day, actor=str(request.user), automatic=False)
        if drafted:
            messages.success(request, f"CTRs for {day}: drafted {', '.join(r.public_id for r in drafted)}.")
        else:
            messages.info(request, f"CTRs for {day}: nothing to draft (no customer's cash over the threshold "
                                   "without a CTR already).")
        return redirect(f"{reverse('portal-filings')}?report_type=CTR")

    return _generate(request, "ctr", run)


@require_POST
@staff_permission(GENERATE_REPORT)
def fbar_generate(request):
    def run(values):
        report = reports.fbar_generate(owner_id=values["customer"].strip(), year=values["year"],
                                       actor=str(request.user))
        messages.success(request, f"FBAR {report.public_id} for {report.owner_id}, {report.year}: drafted.")
        return redirect("portal-filing", report_id=report.public_id)

    return _generate(request, "fbar", run)


def _report_page(request, report, *, bound: dict | None = None, status: int = 200):
    validation = aml_selectors.report_validation(report=report)
    user = request.user
    context = {
        "report": report,
        "validation": validation,
        # The parties are read from the XML: only from a document the schema accepts.
        "parties": report_parties(report) if validation.valid else None,
        "figures": sorted(report.figures.items()),
        "may_review": report.status == ReportStatus.DRAFT and user.has_perm(REVIEW_REPORT),
        "may_approve": report.status == ReportStatus.REVIEWED and user.has_perm(REVIEW_REPORT),
        "may_reject": report.status in (ReportStatus.DRAFT, ReportStatus.REVIEWED) and user.has_perm(REVIEW_REPORT),
        "may_file": report.status == ReportStatus.APPROVED and user.has_perm(FILE_REPORT),
        **{f"{name}_form": form_class(auto_id=f"{name}_%s") for name, form_class in ACTION_FORMS.items()},
        **(bound or {}),
    }
    return render(request, "portal/filing.html", context, status=status)


def _report_or_none(report_id: str):
    try:
        return aml_selectors.report_get(public_id=report_id)
    except NotFound:
        return None


@require_GET
@staff_permission(VIEW_REPORT)
def report_detail(request, report_id: str):
    report = _report_or_none(report_id)
    return not_found(request) if report is None else _report_page(request, report)


@require_GET
@staff_permission(VIEW_REPORT)
def report_xml(request, report_id: str):
    """The report's batch XML as a file, only while it validates (what would be sent to FinCEN)."""
    report = _report_or_none(report_id)
    if report is None:
        return JsonResponse({"code": "report_not_found"}, status=404)
    validation = aml_selectors.report_validation(report=report)
    if not validation.valid:
        return JsonResponse({"code": "report_schema_invalid", "problems": validation.problems[:20]}, status=409)
    response = HttpResponse(report.xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{report.public_id}-{validation.form}.xml"'
    return response


def _step(request, report_id: str, name: str, run):
    report = _report_or_none(report_id)
    if report is None:
        return not_found(request)
    form = ACTION_FORMS[name](request.POST, auto_id=f"{name}_%s")
    if not form.is_valid():
        return _report_page(request, report, bound={f"{name}_form": form}, status=400)
    try:
        done = run(form.cleaned_data)
    except DomainError as exc:
        messages.error(request, f"Refused ({exc.code}): {exc.message}")
    else:
        messages.success(request, f"Report {done.public_id}: {done.status}.")
    return redirect("portal-filing", report_id=report_id)


@require_POST
@staff_permission(REVIEW_REPORT)
def report_review(request, report_id: str):
    return _step(request, report_id, "review",
                 lambda v: reports.report_review(report_id=report_id, actor=str(request.user)))


@require_POST
@staff_permission(REVIEW_REPORT)
def report_approve(request, report_id: str):
    return _step(request, report_id, "approve",
                 lambda v: reports.report_approve(report_id=report_id, actor=str(request.user)))


@require_POST
@staff_permission(REVIEW_REPORT)
def report_reject(request, report_id: str):
    return _step(request, report_id, "reject",
                 lambda v: reports.report_reject(report_id=report_id, reason=v["reason"], actor=str(request.user)))


@require_POST
@staff_permission(FILE_REPORT)
def report_file(request, report_id: str):
    return _step(request, report_id, "file",
                 lambda v: reports.report_mark_filed(report_id=report_id, bsa_id=v["bsa_id"], actor=str(request.user)))
