"""AML pages: monitoring alerts (with the transactions that raised them) and the cases they join, worked through
``apps.compliance.cases.services`` (one service call per action, each audited there).

An AML alert has no life of its own: it joins its customer's open case, and every decision is the case's. So the
actions an alert page offers act on its case: assign it, escalate it, or dismiss it (close the case with a reason;
a high-risk close waits for a second officer in the approvals queue). From a case an officer also adds notes and
decides "file SAR", which drafts a SAR through the reports service; the case page shows that SAR with its FinCEN
schema validation. Evidence (a scan, a statement) is attached to the case as a file: PDF, PNG, JPEG, TIFF, text or
CSV of at most 10 MB, its bytes checked against its type and its name sanitised (``cases.case_attach``); a bad upload
re-renders the case with the error (400 empty, 413 too large, 415 wrong type) and stores nothing. The files are
listed on the case and downloaded from it.

Reading alerts needs ``compliance.view_amlalert``, cases ``compliance.view_amlcase``; every action
``compliance.work_amlcase`` (compliance officers; an auditor reads, a teller sees nothing).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from apps.compliance import aml_selectors
from apps.compliance.aml_models import AlertStatus, CaseDecision, CaseStatus
from apps.compliance.cases import services as cases
from apps.core.errors import DomainError, NotFound

from .pagination import filtered_page
from .uploads import SizeLimit, accepts_upload
from .views import not_found, staff_permission

VIEW_ALERT = "compliance.view_amlalert"
VIEW_CASE = "compliance.view_amlcase"
WORK_CASE = "compliance.work_amlcase"
AGES = [("", "Any"), ("1", "1 day"), ("7", "7 days"), ("30", "30 days"), ("90", "90 days")]


def _rule_choices() -> list[tuple[str, str]]:
    return [("", "Any")] + [(r.code, r.code) for r in aml_selectors.rule_list()]


class AmlAlertFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any")] + list(AlertStatus.choices))
    rule = forms.ChoiceField(label="Rule", required=False, choices=_rule_choices)
    customer = forms.CharField(label="Customer", required=False, max_length=64)
    older_than = forms.ChoiceField(label="Raised at least", required=False, choices=AGES)


def _alert_criteria(values: dict) -> dict:
    """The alert filter's values as ``aml_selectors.alert_list`` criteria (an age becomes a "raised before")."""
    days = values.get("older_than")
    return {
        "status": values.get("status") or None,
        "rule": values.get("rule") or None,
        "owner_id": (values.get("customer") or "").strip() or None,
        "raised_before": timezone.now() - timedelta(days=int(days)) if days else None,
    }


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any")] + list(CaseStatus.choices))
    assignee = forms.CharField(label="Assigned to (user name)", required=False, max_length=150)
    customer = forms.CharField(label="Customer", required=False, max_length=64)


def _worker_choices() -> list[tuple[str, str]]:
    return [("", "— nobody (unassign) —")] + [(u.username, u.username) for u in aml_selectors.case_workers()]


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label="Assign to", required=False, choices=_worker_choices)


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))


class EscalateForm(forms.Form):
    reason = forms.CharField(label="Reason for escalating", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label="Decision", choices=CaseDecision.choices)
    reason = forms.CharField(label="Reason", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class DismissForm(forms.Form):
    """Dismiss an alert: close its case (with every alert in it) with a reason."""

    decision = forms.CharField(widget=forms.HiddenInput, initial=CaseDecision.CLOSE)
    reason = forms.CharField(label="Reason for dismissing", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class AttachForm(forms.Form):
    file = forms.FileField(
        label="File (PDF, PNG, JPEG, TIFF, text or CSV; at most 10 MB)",
        allow_empty_file=True,  # the service says why an empty file is refused
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{t}" for t in cases.ATTACHMENT_TYPES)}),
    )


ACTION_FORMS = {"assign": AssignForm, "note": NoteForm, "escalate": EscalateForm, "decide": DecisionForm,
                "dismiss": DismissForm}


def _action_forms(request, bound: dict | None = None) -> dict[str, forms.Form]:
    """The case action forms, unbound (assignment offering the officer themself first), except the one that came
    back with errors."""
    found = {f"{name}_form": form_class(auto_id=f"{name}_%s") for name, form_class in ACTION_FORMS.items()}
    found["attach_form"] = AttachForm(auto_id="attach_%s")
    found["assign_form"].initial = {"assignee": request.user.get_username()}
    return {**found, **(bound or {})}


def _may_work(request, case) -> bool:
    return case is not None and case.is_open and case.status != CaseStatus.PENDING_APPROVAL and request.user.has_perm(
        WORK_CASE
    )


# --- alerts ----------------------------------------------------------------------------------------------------------


@require_GET
@staff_permission(VIEW_ALERT)
def alert_list(request):
    filters, page = filtered_page(
        request,
        AmlAlertFilterForm,
        lambda values: aml_selectors.alert_list(**_alert_criteria(values)),
        default={"status": AlertStatus.OPEN},
    )
    return render(request, "portal/aml_alerts.html", {"filters": filters, "page": page, "now": timezone.now()})


def _alert_page(request, alert, *, bound: dict | None = None, status: int = 200):
    return render(
        request,
        "portal/aml_alert.html",
        {
            "alert": alert,
            "case": alert.case,
            "evidence": aml_selectors.alert_evidence(alert=alert),
            "may_work": _may_work(request, alert.case),
            **_action_forms(request, bound),
        },
        status=status,
    )


@require_GET
@staff_permission(VIEW_ALERT)
def alert_detail(request, alert_id: str):
    try:
        alert = aml_selectors.alert_get(public_id=alert_id)
    except NotFound:
        return not_found(request)
    return _alert_page(request, alert)


# --- cases -----------------------------------------------------------------------------------------------------------


@require_GET
@staff_permission(VIEW_CASE)
def case_list(request):
    def select(values):
        return aml_selectors.case_list(
            status=values.get("status") or None,
            assignee=(values.get("assignee") or "").strip() or None,
            owner_id=(values.get("customer") or "").strip() or None,
        )

    filters, page = filtered_page(request, CaseFilterForm, select)
    return render(request, "portal/aml_cases.html", {"filters": filters, "page": page})


def _case_page(request, case, *, bound: dict | None = None, status: int = 200):
    reports = [(r, aml_selectors.report_validation(report=r)) for r in case.reports.all()]
    return render(
        request,
        "portal/aml_case.html",
        {"case": case, "reports": reports, "may_work": _may_work(request, case), **_action_forms(request, bound)},
        status=status,
    )


@require_GET
@staff_permission(VIEW_CASE)
def case_detail(request, case_id: str):
    try:
        case = aml_selectors.case_get(public_id=case_id)
    except NotFound:
        return not_found(request)
    return _case_page(request, case)


def _act(request, name: str, case_id: str, *, page, back: str, back_kwargs: dict):
    """Validate action ``name``'s form and run its one service call on the case; bad input re-renders ``page`` with
    the errors (400), a refusal (a closed case, a pending approval) is a message on the page the action came from."""
    form = ACTION_FORMS[name](request.POST, auto_id=f"{name}_%s")
    if not form.is_valid():
        return page(bound={f"{name}_form": form}, status=400)
    try:
        messages.success(request, RUNNERS[name](request, case_id, form.cleaned_data))
    except DomainError as exc:
        messages.error(request, f"Refused ({exc.code}): {exc.message}")
    return redirect(back, **back_kwargs)


def _assign(request, case_id: str, values: dict) -> str:
    username = values["assignee"]
    assignee = aml_selectors.case_workers().filter(username=username).first() if username else None
    if username and assignee is None:
        raise NotFound(f"{username} may not work AML cases", field="assignee", code="user_not_found")
    cases.case_assign(case_id=case_id, assignee=assignee, actor=str(request.user))
    return f"Case {case_id}: assigned to {username}." if username else f"Case {case_id}: unassigned."


def _note(request, case_id: str, values: dict) -> str:
    cases.case_note_add(case_id=case_id, text=values["text"], actor=str(request.user))
    return f"Case {case_id}: note added."


def _escalate(request, case_id: str, values: dict) -> str:
    case = cases.case_escalate(case_id=case_id, reason=values["reason"], actor=str(request.user))
    return f"Case {case_id}: escalated to level {case.escalation_level}, priority {case.get_priority_display()}."


def _decide(request, case_id: str, values: dict) -> str:
    case = cases.case_decide(case_id=case_id, decision=values["decision"], reason=values["reason"],
                             actor=str(request.user), maker=request.user)
    if case.status == CaseStatus.PENDING_APPROVAL:
        return (f"Closing case {case_id} needs a second officer's approval (high risk): "
                f"request {case.approval} is waiting.")
    if case.status == CaseStatus.SAR_FILED:
        return f"Case {case_id}: decided to file a SAR; the SAR draft is on the case page."
    return f"Case {case_id}: closed."


RUNNERS = {"assign": _assign, "note": _note, "escalate": _escalate, "decide": _decide, "dismiss": _decide}
CASE_ACTIONS = ("assign", "note", "escalate", "decide")
ALERT_ACTIONS = ("assign", "escalate", "dismiss")  # on the alert's case; "dismiss" closes it with a reason


@require_POST
@staff_permission(WORK_CASE)
def case_action(request, case_id: str, action: str):
    try:
        case = aml_selectors.case_get(public_id=case_id)
    except NotFound:
        return not_found(request)
    return _act(request, action, case.public_id, page=lambda **kw: _case_page(request, case, **kw),
                back="portal-aml-case", back_kwargs={"case_id": case.public_id})


@require_POST
@staff_permission(WORK_CASE)
def alert_action(request, alert_id: str, action: str):
    try:
        alert = aml_selectors.alert_get(public_id=alert_id)
    except NotFound:
        return not_found(request)
    if alert.case is None:  # alerts join a case when raised; one without is left alone
        messages.error(request, f"Refused (case_not_found): alert {alert_id} is in no case")
        return redirect("portal-aml-alert", alert_id=alert_id)
    return _act(request, action, alert.case.public_id, page=lambda **kw: _alert_page(request, alert, **kw),
                back="portal-aml-alert", back_kwargs={"alert_id": alert_id})


# --- attachments -----------------------------------------------------------------------------------------------------


@accepts_upload(cases.MAX_ATTACHMENT_BYTES)
@csrf_exempt  # the size limit must be in place before the body is read; the token is checked below
@require_POST
@staff_permission(WORK_CASE)
def case_attach(request, case_id: str):
    limit = SizeLimit(cases.MAX_ATTACHMENT_BYTES)
    request.upload_handlers.insert(0, limit)
    return _case_attach(request, case_id, limit)


@csrf_protect
def _case_attach(request, case_id: str, limit: SizeLimit):
    try:
        case = aml_selectors.case_get(public_id=case_id)
    except NotFound:
        return not_found(request)
    form = AttachForm(request.POST, request.FILES, auto_id="attach_%s")
    if limit.too_large:
        exc = cases.AttachmentTooLarge(f"an attachment is at most {cases.MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB",
                                       field="file")
        return _refused_upload(request, case, form, exc)
    if not form.is_valid():
        return _case_page(request, case, bound={"attach_form": form}, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > cases.MAX_ATTACHMENT_BYTES:  # read no more than the limit into memory
        return _refused_upload(request, case, form, cases.AttachmentTooLarge("the file is over 10 MB", field="file"))
    try:
        attachment = cases.case_attach(case_id=case.public_id, name=upload.name, content=upload.read(),
                                       actor=str(request.user))
    except DomainError as exc:
        return _refused_upload(request, case, form, exc)
    messages.success(request, f"Case {case.public_id}: {attachment.name} attached.")
    return redirect("portal-aml-case", case_id=case.public_id)


def _refused_upload(request, case, form, exc: DomainError):
    form.errors.pop("file", None)
    form.add_error("file" if exc.field == "file" else None, f"Refused ({exc.code}): {exc.message}")
    return _case_page(request, case, bound={"attach_form": form}, status=exc.http_status)


@require_GET
@staff_permission(VIEW_CASE)
def case_attachment(request, case_id: str, attachment_id: int):
    """One of a case's files, always as a download (never shown inline: its contents are the uploader's)."""
    try:
        attachment, content = cases.case_attachment_read(case_id=case_id, attachment_id=attachment_id,
                                                         actor=str(request.user))
    except NotFound:
        return not_found(request)
    except cases.AttachmentUnavailable as exc:
        messages.error(request, f"Refused ({exc.code}): {exc.message}")
        return redirect("portal-aml-case", case_id=case_id)
    response = HttpResponse(content, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=attachment.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
