"""Raising flags, exactly once per finding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from api.flags.models import Flag
from api.records import insert_new


@dataclass(frozen=True)
class Finding:
    """Something a rule noticed, before it is stored as a flag."""

    kind: str
    severity: str
    village_code: str
    detail: str
    subject_id: str | None = None
    user_id: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind}:{self.subject_id or self.village_code}"


def raise_flags(*, session: Session, findings: Sequence[Finding], now: datetime) -> int:
    """Store findings as open flags; one already raised (same kind and subject) is left alone."""
    rows = [
        {
            "kind": f.kind,
            "severity": f.severity,
            "village_code": f.village_code,
            "user_id": f.user_id,
            "subject_id": f.subject_id,
            "detail": f.detail,
            "evidence": f.evidence,
            "dedupe_key": f.dedupe_key,
            "raised_at": now,
            "status": "open",
            "updated_at": now,
        }
        for f in findings
    ]
    return len(insert_new(session, Flag, rows, key="dedupe_key"))
