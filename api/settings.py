"""Runtime settings, read once from ``ZOUFANG_*`` environment variables.

Everything a deployment may want to change lives here, so that a county's IT staff can read one
file to learn what can be tuned. Defaults give the embedded setup: a SQLite file and a photo
folder under ``./data/``.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

# Where a signing key made on first start is kept, in the data folder.
KEY_FILE = "secret_key"


class Settings(BaseSettings):
    """All tunables of one Zoufang instance."""

    model_config = SettingsConfigDict(env_prefix="ZOUFANG_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""
    media_url: str = ""
    # How requests name the bucket on S3 storage: "auto" is path-style (``host/bucket/key``) on
    # a custom endpoint, as MinIO and Ceph need, and the SDK's own choice on AWS. Aliyun OSS
    # refuses path-style ("SecondLevelDomainForbidden") and needs "virtual" (``bucket.host/key``).
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    timezone: str = "Asia/Shanghai"
    # A folder holding a customised copy of the phone app (say, a county's own icons); the
    # packaged pwa/ when unset.
    pwa_dir: Path | None = None

    # Addresses (or networks, "10.0.0.0/8") of the reverse proxies in front of the service:
    # only from them are X-Forwarded-For and X-Forwarded-Proto believed, so the audit log and
    # the login throttle see the real client, and a client cannot pick its own address. Empty:
    # the headers are ignored and the direct peer is the client.
    trusted_proxies: str = ""

    secret_key: str = ""
    # A secretary may spend days in the mountains without signal and syncs on return; the phone
    # keeps its outbox and asks for the password again only once the token has expired.
    access_token_minutes: int = Field(default=7 * 24 * 60, ge=1)

    # Failed logins allowed per window: per account from devices it never logged in from, and
    # per trusted device; per client address, enough for a training room of 300 behind one NAT.
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=300, ge=1)
    login_failure_window_s: int = Field(default=15 * 60, ge=1)

    max_import_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    max_photo_bytes: int = Field(default=15 * 1024 * 1024, ge=1024)
    max_photo_pixels: int = Field(default=50_000_000, ge=1)
    keep_original_photos: bool = False
    # Files a crashed upload left without a row are deleted once this old (no upload in
    # progress is), at start-up and every ``photo_sweep_interval_s`` seconds (0: never).
    photo_orphan_grace_s: int = Field(default=3600, ge=0)
    photo_sweep_interval_s: int = Field(default=3600, ge=0)
    max_sync_items: int = Field(default=500, ge=1)

    # Evidence checks on arriving records (flags a supervisor looks at).
    future_tolerance_s: int = Field(default=10 * 60, ge=0)
    pace_min_interval_s: int = Field(default=5 * 60, ge=0)
    pace_max_speed_kmh: float = Field(default=60.0, gt=0)
    duplicate_photo_max_distance: int = Field(default=6, ge=0, le=64)
    photo_time_max_skew_h: float = Field(default=12.0, gt=0)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)

    # Requests that work on the database at once (each holds one connection at a time); the
    # others wait in line, holding nothing, for up to ``queue_timeout_s`` seconds and are then
    # answered 503 with Retry-After. See ``api.ops.admission``.
    max_active_requests: int = Field(default=16, ge=1, le=200)
    queue_timeout_s: float = Field(default=30.0, gt=0)

    # Rules over time (api/flags/rules.py), run by ``zoufang evaluate-flags`` and, every
    # ``flag_rules_interval_s`` seconds, inside ``zoufang serve`` (0 turns that off).
    low_coverage_threshold: float = Field(default=0.6, ge=0, le=1)
    coverage_window_days: int = Field(default=90, ge=1)
    visit_gap_days: int = Field(default=14, ge=1)
    presence_window_days: int = Field(default=30, ge=1)
    low_presence_min_days: int = Field(default=20, ge=0)
    flag_rules_interval_s: int = Field(default=3600, ge=0)
    # A villager's request (群众诉求) still unresolved this many whole days after it reached the
    # server is overdue: the village page counts it and the rules raise ``request_overdue``, so
    # a request nobody took up does not wait unseen until the quarterly bulletin.
    request_overdue_days: int = Field(default=30, ge=1, le=3650)
    # An inspection whose sampled households know their secretary less often than this
    # raises ``low_awareness`` once every sampled household has answered (or on publication).
    low_awareness_threshold: float = Field(default=0.8, ge=0, le=1)
    # The village's public page (``/v/{code}``): messages accepted from one sender (a keyed hash
    # of their address) and for one village within ``public_message_window_s`` seconds, so a
    # prankster or a script cannot bury the secretary's list; a family behind one address can
    # still write a few times.
    public_messages_per_address: int = Field(default=5, ge=1)
    public_messages_per_village: int = Field(default=100, ge=1)
    public_message_window_s: int = Field(default=3600, ge=1)
    # The address printed in the notice board's and contact cards' QR codes, e.g.
    # "https://zoufang.xx.gov.cn": empty uses the address the request came in on, which behind a
    # proxy on an inside network may not be one a villager's phone can reach.
    public_url: str = ""

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'zoufang.db').as_posix()}"

    @property
    def effective_media_url(self) -> str:
        """Where photos go: the configured URL, or a folder in the data folder."""
        return self.media_url or str(self.data_dir / "media")

    @property
    def tz(self) -> ZoneInfo:
        """The deployment's time zone, used for day, week and quarter boundaries."""
        return ZoneInfo(self.timezone)

    @cached_property
    def signing_key(self) -> str:
        """The key that signs access tokens.

        When none is configured, one is made once and kept in the data folder, so that a
        restart does not log every phone out. Deployments with several instances must set
        ``ZOUFANG_SECRET_KEY`` so that all of them accept each other's tokens.
        """
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / KEY_FILE
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_urlsafe(48), encoding="ascii")
            tmp.replace(path)
        return path.read_text(encoding="ascii").strip()


# The value the deployment's .env.example ships with; never a key to sign with. Every secret in
# .env.example begins with the same mark, and none of them is accepted as it stands.
EXAMPLE_SECRET_KEY = "change-me-to-a-long-random-string"  # noqa: S105 - the one key refused
EXAMPLE_MARK = "change-me"
MIN_SECRET_KEY_LENGTH = 32


def deployment_problem(settings: Settings) -> str | None:
    """Why ``settings`` must not serve a real deployment, or None.

    On PostgreSQL (several instances sharing the data) every instance must sign tokens with the
    same key, set by the deployment, and no secret may be the example every copy of the
    compose file has.
    """
    url = settings.effective_database_url
    if not url.startswith("postgresql"):
        return None
    key = settings.secret_key
    if not key:
        return "在 PostgreSQL 上运行时必须设置 ZOUFANG_SECRET_KEY，并且所有实例用同一个值。"
    if EXAMPLE_MARK in key or len(key) < MIN_SECRET_KEY_LENGTH:
        return (
            f"ZOUFANG_SECRET_KEY 仍是示例值，或短于 {MIN_SECRET_KEY_LENGTH} 个字符：请换成一串随机字符，"
            "例如 python3 -c 'import secrets; print(secrets.token_urlsafe(48))' 的输出。"
        )
    example_passwords = [
        name
        for name, value in (
            ("数据库密码（POSTGRES_PASSWORD）", make_url(url).password or ""),
            (
                "照片存储密码（MINIO_ROOT_PASSWORD / AWS_SECRET_ACCESS_KEY）",
                os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
            ),
        )
        if EXAMPLE_MARK in str(value)
    ]
    if example_passwords:
        return f"{'、'.join(example_passwords)}仍是 .env.example 中的示例值：请改成只有县里知道的密码。"
    return None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
