"""The seed's ``core.ai_engine`` import path: ``from qenex.ai_engine import FraudDetector`` (Django set up first,
e.g. by ``FinancialKernel.initialize()`` or ``manage.py shell``)."""

from apps.fraud.detector import FraudDetector

__all__ = ["FraudDetector"]
