"""AML API: rules, alerts, cases and reports. One thin class per operation: parse, one service call, answer.

API keys need ``compliance:read`` to read and ``compliance:write`` to change anything; staff sessions need the
matching Django permission (see apps/access/roles.py: compliance officers hold them).
"""

from __future__ import annotations

import base64
import binascii

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.approvals.api.gate import maker_of
from apps.compliance import aml_selectors as selectors
from apps.compliance.aml_models import CaseStatus
from apps.compliance.cases import services as cases
from apps.compliance.monitoring import services as monitoring
from apps.compliance.reports import services as reports
from apps.compliance.reports.custom import custom_report_csv, export_filename
from apps.compliance.reports.render import report_html
from apps.core.api.idempotency import actor_of
from apps.core.api.pagination import IdCursorPagination
from apps.core.errors import InvalidInput, NotFound

from .aml_serializers import (
    AlertSerializer,
    CaseAssignSerializer,
    CaseAttachmentSerializer,
    CaseDecisionSerializer,
    CaseDetailSerializer,
    CaseNoteSerializer,
    CaseSerializer,
    CaseUpdateSerializer,
    CtrGenerateSerializer,
    FbarGenerateSerializer,
    ReasonSerializer,
    ReportFileSerializer,
    ReportSerializer,
    RuleSaveSerializer,
    RuleSerializer,
)

READ = {"GET": "compliance:read"}
WRITE = {"POST": "compliance:write"}


def _valid(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


class RuleListView(generics.ListAPIView):
    required_scopes = {**READ, **WRITE}
    staff_permissions = {"GET": "compliance.view_monitoringrule", "POST": "compliance.change_monitoringrule"}
    serializer_class = RuleSerializer
    pagination_class = None

    @extend_schema(summary="List the AML monitoring rules")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.rule_list()

    @extend_schema(
        summary="Create or change a rule (a change is a new version)",
        request=RuleSaveSerializer,
        responses={200: RuleSerializer},
    )
    def post(self, request):
        rule = monitoring.rule_save(**_valid(RuleSaveSerializer, request), actor=actor_of(request))
        return Response(RuleSerializer(rule).data)


class AlertListView(generics.ListAPIView):
    required_scopes = READ
    staff_permissions = {"GET": "compliance.view_amlalert"}
    serializer_class = AlertSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="List AML alerts",
        parameters=[OpenApiParameter("owner_id", str), OpenApiParameter("status", str), OpenApiParameter("kind", str)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        p = self.request.query_params
        return selectors.alert_list(owner_id=p.get("owner_id"), status=p.get("status"), kind=p.get("kind"))


class AlertDetailView(APIView):
    required_scopes = READ
    staff_permissions = {"GET": "compliance.view_amlalert"}

    @extend_schema(summary="Get an AML alert with its evidence", responses={200: AlertSerializer})
    def get(self, request, alert_id: str):
        return Response(AlertSerializer(selectors.alert_get(public_id=alert_id)).data)


class AlertDecideView(APIView):
    required_scopes = WRITE
    staff_permissions = {"POST": "compliance.work_amlcase"}
    decision = ""

    @extend_schema(
        summary="Decide one AML alert (a payment it holds is released on dismiss, rejected on confirm)",
        request=ReasonSerializer,
        responses={200: AlertSerializer},
    )
    def post(self, request, alert_id: str):
        alert, payments = cases.alert_decide(
            alert_id=alert_id,
            decision=self.decision,
            reason=_valid(ReasonSerializer, request)["reason"],
            actor=actor_of(request),
        )
        return Response({**AlertSerializer(alert).data, "payments": payments})


class CaseListView(generics.ListAPIView):
    required_scopes = READ
    staff_permissions = {"GET": "compliance.view_amlcase"}
    serializer_class = CaseSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="List AML cases",
        parameters=[
            OpenApiParameter("owner_id", str),
            OpenApiParameter("status", str),
            OpenApiParameter("assignee", str),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        p = self.request.query_params
        return selectors.case_list(owner_id=p.get("owner_id"), status=p.get("status"), assignee=p.get("assignee"))


class CaseDetailView(APIView):
    required_scopes = READ
    staff_permissions = {"GET": "compliance.view_amlcase"}

    @extend_schema(
        summary="Get an AML case: its alerts, notes, attachments, history", responses={200: CaseDetailSerializer}
    )
    def get(self, request, case_id: str):
        return Response(CaseDetailSerializer(selectors.case_get(public_id=case_id)).data)


class _CaseWriteView(APIView):
    required_scopes = WRITE
    staff_permissions = {"POST": "compliance.work_amlcase"}

    def answer(self, case_id: str, code: int = status.HTTP_200_OK) -> Response:
        return Response(CaseDetailSerializer(selectors.case_get(public_id=case_id)).data, status=code)


class CaseAssignView(_CaseWriteView):
    @extend_schema(
        summary="Assign a case to a staff user (or unassign)",
        request=CaseAssignSerializer,
        responses={200: CaseDetailSerializer},
    )
    def post(self, request, case_id: str):
        username = _valid(CaseAssignSerializer, request)["assignee"]
        assignee = None
        if username is not None:
            assignee = get_user_model().objects.filter(username=username, is_staff=True, is_active=True).first()
            if assignee is None:
                raise NotFound(f"no active staff user {username}", field="assignee", code="user_not_found")
        cases.case_assign(case_id=case_id, assignee=assignee, actor=actor_of(request))
        return self.answer(case_id)


class CaseUpdateView(_CaseWriteView):
    @extend_schema(
        summary="Change a case's priority or due date",
        request=CaseUpdateSerializer,
        responses={200: CaseDetailSerializer},
    )
    def post(self, request, case_id: str):
        cases.case_update(case_id=case_id, actor=actor_of(request), **_valid(CaseUpdateSerializer, request))
        return self.answer(case_id)


class CaseNoteView(_CaseWriteView):
    @extend_schema(summary="Add a note to a case", request=CaseNoteSerializer, responses={201: CaseDetailSerializer})
    def post(self, request, case_id: str):
        cases.case_note_add(case_id=case_id, text=_valid(CaseNoteSerializer, request)["text"], actor=actor_of(request))
        return self.answer(case_id, status.HTTP_201_CREATED)


class CaseAttachmentView(_CaseWriteView):
    @extend_schema(
        summary="Attach a file to a case (base64 in JSON)",
        request=CaseAttachmentSerializer,
        responses={201: CaseDetailSerializer},
    )
    def post(self, request, case_id: str):
        data = _valid(CaseAttachmentSerializer, request)
        try:
            content = base64.b64decode(data["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("content_base64 is not base64", field="content_base64") from None
        cases.case_attach(case_id=case_id, name=data["name"], content=content, actor=actor_of(request))
        return self.answer(case_id, status.HTTP_201_CREATED)


class CaseEscalateView(_CaseWriteView):
    @extend_schema(summary="Escalate a case", request=ReasonSerializer, responses={200: CaseDetailSerializer})
    def post(self, request, case_id: str):
        cases.case_escalate(
            case_id=case_id, reason=_valid(ReasonSerializer, request)["reason"], actor=actor_of(request)
        )
        return self.answer(case_id)


class CaseDecideView(_CaseWriteView):
    @extend_schema(
        summary="Decide a case: file_sar (drafts a SAR) or close; a high-risk close answers 202 (four-eyes)",
        request=CaseDecisionSerializer,
        responses={200: CaseDetailSerializer, 202: CaseDetailSerializer},
    )
    def post(self, request, case_id: str):
        data = _valid(CaseDecisionSerializer, request)
        case = cases.case_decide(
            case_id=case_id,
            decision=data["decision"],
            reason=data["reason"],
            actor=actor_of(request),
            maker=maker_of(request),
        )
        waiting = case.status == CaseStatus.PENDING_APPROVAL
        return self.answer(case_id, status.HTTP_202_ACCEPTED if waiting else status.HTTP_200_OK)


class ReportListView(generics.ListAPIView):
    required_scopes = READ
    staff_permissions = {"GET": "compliance.view_amlreport"}
    serializer_class = ReportSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="List regulatory reports (CTR, SAR, FBAR)",
        parameters=[OpenApiParameter("type", str), OpenApiParameter("status", str), OpenApiParameter("owner_id", str)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        p = self.request.query_params
        return selectors.report_list(report_type=p.get("type"), status=p.get("status"), owner_id=p.get("owner_id"))


class ReportDetailView(APIView):
    required_scopes = READ
    staff_permissions = {"GET": "compliance.view_amlreport"}

    @extend_schema(summary="Get a report's figures and state", responses={200: ReportSerializer})
    def get(self, request, report_id: str):
        return Response(ReportSerializer(selectors.report_get(public_id=report_id)).data)


class ReportXmlView(APIView):
    required_scopes = READ
    staff_permissions = {"GET": "compliance.view_amlreport"}

    @extend_schema(
        summary="The report's FinCEN BSA E-Filing batch XML", responses={(200, "application/xml"): OpenApiTypes.STR}
    )
    def get(self, request, report_id: str):
        return HttpResponse(selectors.report_get(public_id=report_id).xml, content_type="application/xml")


class ReportHtmlView(APIView):
    required_scopes = READ
    staff_permissions = {"GET": "compliance.view_amlreport"}

    @extend_schema(summary="The report rendered as HTML", responses={(200, "text/html"): OpenApiTypes.STR})
    def get(self, request, report_id: str):
        return HttpResponse(report_html(selectors.report_get(public_id=report_id)), content_type="text/html")


class CtrGenerateView(APIView):
    required_scopes = WRITE
    staff_permissions = {"POST": "compliance.add_amlreport"}

    @extend_schema(
        summary="Draft the CTRs of a business day (those not drafted yet)",
        request=CtrGenerateSerializer,
        responses={201: ReportSerializer(many=True)},
    )
    def post(self, request):
        day = _valid(CtrGenerateSerializer, request)["day"]
        drafted = reports.ctrs_generate(day=day, actor=actor_of(request), automatic=False)
        return Response(ReportSerializer(drafted, many=True).data, status=status.HTTP_201_CREATED)


class FbarGenerateView(APIView):
    required_scopes = WRITE
    staff_permissions = {"POST": "compliance.add_amlreport"}

    @extend_schema(
        summary="Draft an FBAR of a customer's accounts for a year",
        request=FbarGenerateSerializer,
        responses={201: ReportSerializer},
    )
    def post(self, request):
        report = reports.fbar_generate(**_valid(FbarGenerateSerializer, request), actor=actor_of(request))
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


class ReportReviewView(APIView):
    required_scopes = WRITE
    staff_permissions = {"POST": "compliance.review_amlreport"}

    @extend_schema(
        summary="Mark a draft reviewed (its XML is validated again)", request=None, responses={200: ReportSerializer}
    )
    def post(self, request, report_id: str):
        return Response(ReportSerializer(reports.report_review(report_id=report_id, actor=actor_of(request))).data)


class ReportApproveView(APIView):
    required_scopes = WRITE
    staff_permissions = {"POST": "compliance.review_amlreport"}

    @extend_schema(
        summary="Approve a reviewed report (never one's own review)", request=None, responses={200: ReportSerializer}
    )
    def post(self, request, report_id: str):
        return Response(ReportSerializer(reports.report_approve(report_id=report_id, actor=actor_of(request))).data)


class ReportFileView(APIView):
    required_scopes = WRITE
    staff_permissions = {"POST": "compliance.file_amlreport"}

    @extend_schema(
        summary="Mark an approved report filed with FinCEN's BSA id",
        request=ReportFileSerializer,
        responses={200: ReportSerializer},
    )
    def post(self, request, report_id: str):
        bsa_id = _valid(ReportFileSerializer, request)["bsa_id"]
        report = reports.report_mark_filed(report_id=report_id, bsa_id=bsa_id, actor=actor_of(request))
        return Response(ReportSerializer(report).data)


class ReportRejectView(APIView):
    required_scopes = WRITE
    staff_permissions = {"POST": "compliance.review_amlreport"}

    @extend_schema(
        summary="Decide a report is not to be filed, with a reason",
        request=ReasonSerializer,
        responses={200: ReportSerializer},
    )
    def post(self, request, report_id: str):
        reason = _valid(ReasonSerializer, request)["reason"]
        return Response(
            ReportSerializer(reports.report_reject(report_id=report_id, reason=reason, actor=actor_of(request))).data
        )


class CustomReportCsvView(APIView):
    required_scopes = READ
    staff_permissions = {"GET": "compliance.view_customreport"}

    @extend_schema(summary="Export a saved custom report as CSV", responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, report_id: int):
        report = selectors.custom_report_get(pk=report_id)
        response = HttpResponse(custom_report_csv(report=report), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{export_filename(report)}"'
        return response
