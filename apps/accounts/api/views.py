"""Accounts API: thin views that parse input, call one service or selector and render the result."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors
from apps.accounts.models import AccountStatus
from apps.approvals.api.gate import four_eyes, submit_for_approval
from apps.approvals.models import ApprovalKind
from apps.core.api.idempotency import actor_of, idempotency_key_from, keyed_response
from apps.core.api.pagination import IdCursorPagination
from apps.core.money import to_minor_units
from apps.iam.permissions import require_staff_permission
from apps.iam.tenancy import Use, account_for, check_owner, readable_accounts
from apps.ledger import services as ledger_services
from apps.ledger.movements import opening_movements

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
        accounts = selectors.account_list(
            owner_id=params.get("owner_id"), currency=params.get("currency"), status=params.get("status")
        )
        return readable_accounts(self.request, accounts)

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
        check_owner(request, args["owner_id"])
        currency = args["currency"]
        opening = args.get("initial_balance")
        opening_minor = (
            0 if opening is None else to_minor_units(opening, currency, field="initial_balance", allow_zero=True)
        )
        limit_minor = to_minor_units(args["overdraft_limit"], currency, field="overdraft_limit", allow_zero=True)

        def run() -> Response:
            opened = ledger_services.account_open_or_replay(**args, idempotency_key=key, actor=actor_of(request))
            return keyed_response(AccountSerializer(opened.account).data, replayed=opened.replayed)

        # An opening deposit is weighed like any deposit; an overdraft limit always needs a second person.
        return four_eyes(
            request,
            kind=ApprovalKind.ACCOUNT_OPEN,
            payload=args,
            movements=opening_movements(currency, opening_minor),
            run=run,
            idempotency_key=key,
            done_before=bool(key) and selectors.account_exists_for_key(idempotency_key=key),
            always=limit_minor > 0,
        )


class AccountDetailView(APIView):
    required_scopes = READ
    staff_permissions = STAFF_READ

    @extend_schema(summary="Get an account", responses={200: AccountSerializer})
    def get(self, request, account_id: str):
        return Response(AccountSerializer(account_for(request, account_id, use=Use.READ)).data)


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
        status_to = data.validated_data["status"]
        account = account_for(request, account_id, use=Use.OWN)
        unfreeze = account.status == AccountStatus.FROZEN and status_to == AccountStatus.ACTIVE
        if unfreeze:
            require_staff_permission(request, "accounts.unfreeze_account")
        elif status_to == AccountStatus.FROZEN:
            require_staff_permission(request, "accounts.freeze_account")
        else:
            require_staff_permission(request, "accounts.change_account")

        def run() -> Response:
            changed = ledger_services.account_change_status(
                public_id=account_id, status=status_to, actor=actor_of(request)
            )
            return Response(AccountSerializer(changed).data)

        # Freezing happens at once; an unfreeze (FROZEN -> ACTIVE) always needs a second person.
        return four_eyes(
            request,
            kind=ApprovalKind.ACCOUNT_UNFREEZE,
            payload={"account": account_id},
            movements=[],
            run=run,
            always=unfreeze,
        )


class AccountOverdraftView(APIView):
    required_scopes = {"POST": "accounts:write"}
    staff_permissions = {"POST": "accounts.change_overdraft_limit"}  # every maker: always four-eyes (202)

    @extend_schema(
        summary="Set an account's overdraft limit",
        request=AccountOverdraftSerializer,
        responses={200: AccountSerializer},
    )
    def post(self, request, account_id: str):
        data = AccountOverdraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = account_for(request, account_id, use=Use.OWN)
        limit = data.validated_data["overdraft_limit"]
        to_minor_units(limit, account.currency, field="overdraft_limit", allow_zero=True)

        # Every maker, staff or API client: a limit change always needs a second person (202).
        payload = {"account": account_id, "overdraft_limit": limit}
        return submit_for_approval(request, kind=ApprovalKind.OVERDRAFT_LIMIT, payload=payload)
