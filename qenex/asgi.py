"""ASGI entry point: HTTP through Django, WebSockets through Channels (live balance updates)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qenex.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from apps.access.websocket import StaffAuthMiddlewareStack  # noqa: E402  (Django must be set up first)
from apps.core.metrics import count_connections  # noqa: E402
from apps.ledger.routing import websocket_urlpatterns  # noqa: E402
from apps.portal.routing import websocket_urlpatterns as portal_urlpatterns  # noqa: E402

# qenex_active_connections counts every HTTP request in progress and every open WebSocket.
application = count_connections(ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Every socket: an allowed Origin, and a session that passed the second factor (else AnonymousUser).
        "websocket": AllowedHostsOriginValidator(
            StaffAuthMiddlewareStack(URLRouter(websocket_urlpatterns + portal_urlpatterns))
        ),
    }
))
