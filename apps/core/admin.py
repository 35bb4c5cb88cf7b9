"""Admin building blocks shared by the apps' admins."""

from django.contrib import admin


class ServiceSavedAdmin(admin.ModelAdmin):
    """An admin whose saves are service calls (``save_model`` calls the owning app's service).

    Django wraps a change form's POST in one transaction, and a service's outermost ``atomic(durable=True)``
    refuses to run inside one (RuntimeError, a 500): here each submitted form is the service's own durable
    transaction. The service writes the change to the audit trail, so Django's admin log (a second, weaker
    record) is not written.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._changeform_view(request, object_id, form_url, extra_context)

    def construct_change_message(self, request, form, formsets, add=False):
        return []

    def log_change(self, request, obj, message):
        return None

    def log_addition(self, request, obj, message):
        return None
