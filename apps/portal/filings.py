"""FinCEN filings: the CTR, SAR and FBAR drafts and filed reports, each with its batch XML checked against FinCEN's
schema when the page is shown (the problems the schema names, if any), and the filing workflow through
``apps.compliance.reports.services``: review (the XML is validated again), approve (a second officer: the service
refuses the reviewer), mark filed with FinCEN's BSA id, or reject with a reason. One service call each, audited there.

Reading and downloading the XML need ``compliance.view_amlreport``; review, approve and reject
``compliance.review_amlreport``; marking filed ``compliance.file_amlreport``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.compliance import aml_selectors
from apps.compliance.aml_models import ReportStatus, ReportType
from apps.compliance.reports import services as reports
from apps.compliance.reports.render import report_parties
from apps.core.errors import DomainError, NotFound

from .pagination import filtered_page
from .views import not_found, staff_permission

VIEW_REPORT = "compliance.view_amlreport"
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


@require_GET
@staff_permission(VIEW_REPORT)
def report_list(request):
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
    return render(request, "portal/filings.html", {"filters": filters, "page": page, "rows": rows})


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
