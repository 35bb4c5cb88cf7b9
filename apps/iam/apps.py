from django.apps import AppConfig


class IamConfig(AppConfig):
    name = "apps.iam"
    label = "iam"
    verbose_name = "Identity and access"
