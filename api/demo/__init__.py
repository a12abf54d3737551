"""The demo county: a believable, seeded county to fill an empty database with."""

from api.demo.county import DemoLogin, DemoNotEmpty, DemoSummary, populate

__all__ = ["DemoLogin", "DemoNotEmpty", "DemoSummary", "populate"]
