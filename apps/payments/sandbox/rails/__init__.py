"""The rails the sandbox can serve, by name."""

from __future__ import annotations

from .ach import AchRail
from .base import AnswerContext, Rail, Received, Reply
from .fedwire import FedwireRail
from .iso20022 import SEPA, SEPA_INST
from .swift import SwiftRail

RAILS: dict[str, Rail] = {rail.name: rail for rail in (SEPA, SEPA_INST, SwiftRail(), FedwireRail(), AchRail())}

__all__ = ["RAILS", "AnswerContext", "Rail", "Received", "Reply"]
