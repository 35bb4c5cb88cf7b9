"""Admin: the outbox (read-only), webhook subscriptions (create, (de)activate) and the delivery log (replay)."""

from django.contrib import admin, messages

from apps.core.admin import ServiceSavedAdmin
from apps.core.errors import DomainError
from apps.ledger.admin import ReadOnlyAdmin

from . import services
from .models import OutboxEvent, WebhookDelivery, WebhookSubscription


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_type", "version", "aggregate_type", "aggregate_id", "created_at", "sent_at"]
    list_filter = ["event_type"]
    search_fields = ["aggregate_id", "event_id"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ServiceSavedAdmin):
    list_display = ["public_id", "url", "event_types", "is_active", "created_by", "created_at"]
    fields = ["url", "event_types", "description"]
    actions = ["deactivate", "activate"]

    def has_change_permission(self, request, obj=None):
        return False  # changes are the actions below (audited services)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = services.webhook_subscription_create(
            url=obj.url, event_types=obj.event_types or [], description=obj.description, actor=str(request.user)
        )
        obj.pk, obj.public_id = created.subscription.pk, created.subscription.public_id
        messages.warning(request, f"Secret of {obj.public_id} (shown once): {created.secret}")

    def _set_active(self, request, queryset, active: bool) -> None:
        for subscription in queryset:
            services.webhook_subscription_set_active(
                public_id=subscription.public_id, active=active, actor=str(request.user)
            )

    # The same permission as the API's deactivate/reactivate and the replay below: viewing (an auditor) is not it.
    @admin.action(description="Deactivate the selected subscriptions", permissions=["manage"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description="Activate the selected subscriptions", permissions=["manage"])
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)

    def has_manage_permission(self, request) -> bool:
        return request.user.has_perm("events.add_webhooksubscription")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "subscription", "event", "status", "attempts", "last_status_code", "next_attempt_at"]
    list_filter = ["status"]
    list_select_related = ["subscription", "event"]
    actions = ["replay"]

    @admin.action(description="Replay the selected deliveries", permissions=["replay"])
    def replay(self, request, queryset):
        for delivery in queryset:
            try:
                services.webhook_delivery_replay(delivery_id=delivery.public_id, actor=str(request.user))
            except DomainError as error:
                messages.error(request, error.message)

    def has_replay_permission(self, request) -> bool:
        return request.user.has_perm("events.add_webhooksubscription")
