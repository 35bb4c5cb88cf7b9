"""/api/v1/events (the outbox by cursor), /api/v1/events/webhooks (subscriptions, their delivery log, replays).

Thin views: one per operation, each with its own input serializer; the rules (and the audit records) are in
``apps.events.services``, shared with the admin's actions. Subscriptions are the bank's, not one client's: any key
with ``events:webhooks`` (which already reads the whole stream) manages all of them; staff need the model permissions.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.idempotency import actor_of
from apps.core.api.pagination import IdCursorPagination
from apps.core.api.serializers import InputSerializer
from apps.events import selectors, services
from apps.events.envelope import envelope
from apps.events.models import DeliveryStatus


class EventsItemSerializer(serializers.Serializer):
    event_id = serializers.UUIDField()
    type = serializers.CharField()
    version = serializers.IntegerField()
    aggregate_type = serializers.CharField()
    aggregate_id = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    payload = serializers.JSONField()
    cursor = serializers.CharField()


class EventsPageSerializer(serializers.Serializer):
    results = EventsItemSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class EventListView(APIView):
    required_scopes = {"GET": "events:read"}
    staff_permissions = {"GET": "events.view_outboxevent"}

    @extend_schema(
        summary="Read the event stream after a cursor (oldest first)",
        parameters=[
            OpenApiParameter("after", str, description="next_cursor of the previous page; omit to start"),
            OpenApiParameter("limit", int, description="1..1000, default 100"),
            OpenApiParameter("type", str, description="only this event type (repeatable)", many=True),
        ],
        responses=EventsPageSerializer,
    )
    def get(self, request):
        params = request.query_params
        limit_text = params.get("limit", "100")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= selectors.MAX_PAGE:
            from apps.core.errors import InvalidInput

            raise InvalidInput(f"limit must be an integer from 1 to {selectors.MAX_PAGE}", field="limit")
        after = params.get("after") or ""
        events = selectors.events_after(cursor=after, limit=int(limit_text), event_types=params.getlist("type"))
        results = [envelope(event) | {"cursor": event.cursor} for event in events]
        return Response({"results": results, "next_cursor": events[-1].cursor if events else (after or None)})


class EventsWebhookSubscriptionSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    url = serializers.URLField()
    event_types = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()


class EventsWebhookCreateSerializer(InputSerializer):
    url = serializers.CharField(max_length=500)
    event_types = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=True)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EventsWebhookCreatedSerializer(EventsWebhookSubscriptionSerializer):
    secret = serializers.CharField(help_text="The HMAC-SHA256 key: shown once, keep it")


WEBHOOKS_READ = "events.view_webhooksubscription"
WEBHOOKS_MANAGE = "events.add_webhooksubscription"  # the admin's replay action asks the same


class WebhookSubscriptionListCreateView(APIView):
    required_scopes = {"GET": "events:webhooks", "POST": "events:webhooks"}
    staff_permissions = {"GET": "events.view_webhooksubscription", "POST": "events.add_webhooksubscription"}

    @extend_schema(summary="List webhook subscriptions", responses=EventsWebhookSubscriptionSerializer(many=True))
    def get(self, request):
        return Response(EventsWebhookSubscriptionSerializer(selectors.subscription_list(), many=True).data)

    @extend_schema(
        summary="Subscribe a URL to event types (the secret is in this response only)",
        request=EventsWebhookCreateSerializer,
        responses={201: EventsWebhookCreatedSerializer},
    )
    def post(self, request):
        data = EventsWebhookCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.webhook_subscription_create(**data.validated_data, actor=actor_of(request))
        body = EventsWebhookSubscriptionSerializer(created.subscription).data | {"secret": created.secret}
        return Response(body, status=201)


class WebhookSubscriptionDetailView(APIView):
    required_scopes = {"GET": "events:webhooks"}
    staff_permissions = {"GET": WEBHOOKS_READ}

    @extend_schema(summary="Get a webhook subscription", responses=EventsWebhookSubscriptionSerializer)
    def get(self, request, subscription_id: str):
        subscription = selectors.subscription_get(subscription_id)
        return Response(EventsWebhookSubscriptionSerializer(subscription).data)


class EventsWebhookDeactivateSerializer(InputSerializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EventsWebhookReactivateSerializer(InputSerializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookSubscriptionDeactivateView(APIView):
    required_scopes = {"POST": "events:webhooks"}
    staff_permissions = {"POST": WEBHOOKS_MANAGE}

    @extend_schema(
        summary="Deactivate (pause) a subscription: no new deliveries, pending ones wait (already inactive: no-op)",
        request=EventsWebhookDeactivateSerializer,
        responses=EventsWebhookSubscriptionSerializer,
    )
    def post(self, request, subscription_id: str):
        data = EventsWebhookDeactivateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.webhook_subscription_set_active(
            public_id=subscription_id, active=False, reason=data.validated_data["reason"], actor=actor_of(request)
        )
        return Response(EventsWebhookSubscriptionSerializer(subscription).data)


class WebhookSubscriptionReactivateView(APIView):
    required_scopes = {"POST": "events:webhooks"}
    staff_permissions = {"POST": WEBHOOKS_MANAGE}

    @extend_schema(
        summary="Reactivate a subscription: its waiting deliveries go out, new events are delivered again",
        request=EventsWebhookReactivateSerializer,
        responses=EventsWebhookSubscriptionSerializer,
    )
    def post(self, request, subscription_id: str):
        data = EventsWebhookReactivateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.webhook_subscription_set_active(
            public_id=subscription_id, active=True, reason=data.validated_data["reason"], actor=actor_of(request)
        )
        return Response(EventsWebhookSubscriptionSerializer(subscription).data)


class EventsWebhookDeliverySerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    subscription = serializers.CharField(source="subscription.public_id")
    event_id = serializers.UUIDField(source="event.event_id")
    event_type = serializers.CharField(source="event.event_type")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.SerializerMethodField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_next_attempt_at(self, delivery) -> str | None:
        if delivery.status != DeliveryStatus.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.next_attempt_at)


class WebhookDeliveryListView(generics.ListAPIView):
    required_scopes = {"GET": "events:webhooks"}
    staff_permissions = {"GET": "events.view_webhookdelivery"}
    serializer_class = EventsWebhookDeliverySerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="A subscription's delivery log, newest first",
        parameters=[OpenApiParameter("status", str, enum=DeliveryStatus.values, description="only this status")],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        subscription = selectors.subscription_get(self.kwargs["subscription_id"])
        return selectors.deliveries_of(subscription=subscription, status=self.request.query_params.get("status"))


class WebhookDeliveryDetailView(APIView):
    required_scopes = {"GET": "events:webhooks"}
    staff_permissions = {"GET": "events.view_webhookdelivery"}

    @extend_schema(
        summary="Get a webhook delivery (its id is the X-QENEX-Delivery header)",
        responses=EventsWebhookDeliverySerializer,
    )
    def get(self, request, delivery_id: str):
        return Response(EventsWebhookDeliverySerializer(selectors.delivery_get(delivery_id)).data)


class EventsWebhookDeliveryReplaySerializer(InputSerializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookDeliveryReplayView(APIView):
    required_scopes = {"POST": "events:webhooks"}
    staff_permissions = {"POST": WEBHOOKS_MANAGE}

    @extend_schema(
        summary="Replay a FAILED or DELIVERED delivery: due now, with a fresh attempt budget (409 while PENDING)",
        request=EventsWebhookDeliveryReplaySerializer,
        responses=EventsWebhookDeliverySerializer,
    )
    def post(self, request, delivery_id: str):
        data = EventsWebhookDeliveryReplaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        delivery = services.webhook_delivery_replay(
            delivery_id=delivery_id, reason=data.validated_data["reason"], actor=actor_of(request)
        )
        return Response(EventsWebhookDeliverySerializer(delivery).data)


class EventsWebhookReplayFailedSerializer(InputSerializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    limit = serializers.IntegerField(
        min_value=1, max_value=services.REPLAY_BATCH_MAX, default=services.REPLAY_BATCH_MAX
    )


class EventsWebhookReplayedFailedSerializer(serializers.Serializer):
    replayed = serializers.IntegerField()
    remaining = serializers.IntegerField(help_text="FAILED deliveries left: call again to replay them")
    deliveries = serializers.ListField(child=serializers.CharField())


class WebhookSubscriptionReplayFailedView(APIView):
    required_scopes = {"POST": "events:webhooks"}
    staff_permissions = {"POST": WEBHOOKS_MANAGE}

    @extend_schema(
        summary="Replay a subscription's FAILED deliveries, oldest first (at most `limit` per call)",
        request=EventsWebhookReplayFailedSerializer,
        responses=EventsWebhookReplayedFailedSerializer,
    )
    def post(self, request, subscription_id: str):
        data = EventsWebhookReplayFailedSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        replayed = services.webhook_subscription_replay_failed(
            subscription_id=subscription_id, actor=actor_of(request), **data.validated_data
        )
        body = {
            "replayed": len(replayed.deliveries),
            "remaining": replayed.remaining,
            "deliveries": [delivery.public_id for delivery in replayed.deliveries],
        }
        return Response(body)
