"""The demo county: a believable, seeded county to fill an empty database with."""

from api.demo.county import DemoLogin, DemoNotEmpty, DemoSummary, populate
from api.demo.fieldwork import FIELD_DAYS, Problem

__all__ = ["FIELD_DAYS", "DemoLogin", "DemoNotEmpty", "DemoSummary", "Problem", "populate"]
