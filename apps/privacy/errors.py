from apps.core.errors import Conflict, InvalidInput, NotFound


class SubjectNotFound(NotFound):
    code = "subject_not_found"


class ErasureAlreadyRequested(Conflict):
    code = "erasure_already_requested"


class ErasureNotPending(Conflict):
    code = "erasure_not_pending"


class InvalidPurpose(InvalidInput):
    code = "invalid_purpose"
