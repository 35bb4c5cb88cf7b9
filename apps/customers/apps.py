from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "apps.customers"
    label = "customers"
    verbose_name = "Customers and KYC"

    def ready(self) -> None:
        # KYC gates account opening and postings; the customers are the screening subjects compliance rescreens
        # and marks on a confirmed hit (apps.customers.checks).
        from .checks import register

        register()
