from apps.core.errors import DomainError


class ModelVersionNotFound(DomainError):
    code = "model_version_not_found"
    http_status = 404


class NoModelToRollBackTo(DomainError):
    code = "no_previous_model"
    http_status = 409


class ArtifactInvalid(DomainError):
    code = "model_artifact_invalid"
    http_status = 409


class AlertNotFound(DomainError):
    code = "alert_not_found"
    http_status = 404


class AlertAlreadyDecided(DomainError):
    code = "alert_already_decided"
    http_status = 409
