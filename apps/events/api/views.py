"""/api/v1/events (the outbox by cursor) and /api/v1/events/webhooks (subscriptions). Thin views."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.idempotency import actor_of
from apps.core.api.serializers import InputSerializer
from apps.events import selectors, services
from apps.events.envelope import envelope


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
