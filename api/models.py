"""Imports every table module, so that ``SQLModel.metadata`` knows the whole schema.

Alembic and the migration drift test load this one module rather than each domain folder.
"""

from api.assignments.models import Assignment
from api.audit.models import AuditEntry
from api.auth.models import ApiToken, LoginFailure, User
from api.checkins.models import Checkin
from api.flags.models import Flag, FlagEvent
from api.households.models import Household
from api.inspections.models import Inspection, InspectionAnswer, SampledHousehold
from api.ops.models import PeriodicRun
from api.oversight.models import PresenceDay, VillageActivity, VisitDay, VisitWeek
from api.photos.models import Photo, PhotoHashBand
from api.public.models import PublicMonth, PublicPost
from api.rectification.models import (
    RectificationEvent,
    RectificationMeasure,
    RectificationProblem,
    RectificationProgress,
)
from api.regions.models import Region
from api.requests.models import VillagerRequest
from api.visits.models import Visit, VisitPhoto

__all__ = [
    "ApiToken",
    "Assignment",
    "AuditEntry",
    "Checkin",
    "Flag",
    "FlagEvent",
    "Household",
    "Inspection",
    "InspectionAnswer",
    "LoginFailure",
    "PeriodicRun",
    "Photo",
    "PhotoHashBand",
    "PresenceDay",
    "PublicMonth",
    "PublicPost",
    "RectificationEvent",
    "RectificationMeasure",
    "RectificationProblem",
    "RectificationProgress",
    "Region",
    "SampledHousehold",
    "User",
    "VillageActivity",
    "VillagerRequest",
    "Visit",
    "VisitDay",
    "VisitPhoto",
    "VisitWeek",
]
