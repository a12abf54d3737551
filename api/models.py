"""Imports every table module, so that ``SQLModel.metadata`` knows the whole schema.

Alembic and the migration drift test load this one module rather than each domain folder.
"""

from api.assignments.models import Assignment
from api.auth.models import ApiToken, LoginFailure, User
from api.households.models import Household
from api.regions.models import Region

__all__ = ["ApiToken", "Assignment", "Household", "LoginFailure", "Region", "User"]
