from django.urls import path

from .consumers import BalanceConsumer

websocket_urlpatterns = [path("ws/accounts/<str:account_id>/balance", BalanceConsumer.as_asgi())]
