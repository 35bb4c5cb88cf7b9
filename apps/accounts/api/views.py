"""Accounts API: thin views that parse input, call one service or selector and render the result."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors, services
from apps.approvals.api.gate import account_status_four_eyes, is_staff_session, submit_for_approval
from apps.approvals.models import ApprovalKind
from apps.core.api.idempotency import actor_of, idempotency_key_from
from apps.core.api.pagination import IdCursorPagination

from .serializers import AccountCreateSerializer, AccountOverdraftSerializer, AccountSerializer, AccountStatusSerializer

READ = {"GET": "accounts:read"}
STAFF_READ = {"GET": "accounts.view_account"}


class AccountListCreateView(generics.ListAPIView):
    required_scopes = {"GET": "accounts:read", "POST": "accounts:write"}
    staff_permissions = {"GET": "accounts.view_account", "POST": "accounts.add_account"}
    serializer_class = AccountSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="List accounts",
        parameters=[
            OpenApiParameter("owner_id", str),
            OpenApiParameter("currency", str),
            OpenApiParameter("status", str),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.account_list(
            owner_id=params.get("owner_id"), currency=params.get("currency"), status=params.get("status")
        )

    @extend_schema(
        summary="Open an account (optionally with an opening deposit)",
        request=AccountCreateSerializer,
        responses={201: AccountSerializer, 200: AccountSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request):
        data = AccountCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        args = dict(data.validated_data)
        key = idempotency_key_from(request, args.pop("idempotency_key", None), required=False)
        opened = services.account_open_or_replay(**args, idempotency_key=key, actor=actor_of(request))
        if opened.replayed:  # like a replayed posting: 200 and the header, so a client can tell
            response = Response(AccountSerializer(opened.account).data, status=status.HTTP_200_OK)
            response["Idempotent-Replayed"] = "true"
            return response
        return Response(AccountSerializer(opened.account).data, status=status.HTTP_201_CREATED)


class AccountDetailView(APIView):
    required_scopes = READ
    staff_permissions = STAFF_READ

    @extend_schema(summary="Get an account", responses={200: AccountSerializer})
    def get(self, request, account_id: str):
        return Response(AccountSerializer(selectors.account_get(public_id=account_id)).data)


class AccountStatusView(APIView):
    required_scopes = {"POST": "accounts:write"}
    # Staff: freeze_account to freeze, unfreeze_account to request an unfreeze (202, four-eyes), else change_account.
    staff_permissions = {"POST": ("accounts.freeze_account", "accounts.unfreeze_account", "accounts.change_account")}

    @extend_schema(
        summary="Change an account's status (ACTIVE, FROZEN, CLOSED)",
        request=AccountStatusSerializer,
        responses={200: AccountSerializer},
    )
    def post(self, request, account_id: str):
        data = AccountStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pending = account_status_four_eyes(request, account_id=account_id, status_to=data.validated_data["status"])
        if pending is not None:
            return pending
        account = services.account_change_status(
            public_id=account_id, status=data.validated_data["status"], actor=actor_of(request)
        )
        return Response(AccountSerializer(account).data)


class AccountOverdraftView(APIView):
    required_scopes = {"POST": "accounts:write"}
    staff_permissions = {"POST": "accounts.change_overdraft_limit"}  # staff: always four-eyes (202)

    @extend_schema(
        summary="Set an account's overdraft limit",
        request=AccountOverdraftSerializer,
        responses={200: AccountSerializer},
    )
    def post(self, request, account_id: str):
        data = AccountOverdraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if is_staff_session(request):
            payload = {"account": account_id, "overdraft_limit": data.validated_data["overdraft_limit"]}
            return submit_for_approval(request, kind=ApprovalKind.OVERDRAFT_LIMIT, payload=payload)
        account = services.account_set_overdraft_limit(
            public_id=account_id, limit=data.validated_data["overdraft_limit"], actor=actor_of(request)
        )
        return Response(AccountSerializer(account).data)
