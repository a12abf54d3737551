"""Photos in S3-compatible object storage, for deployments with several API instances.

Instances behind a load balancer cannot share a local folder safely, so each photo gets one
place that all of them see. A PutObject is atomic: a reader gets the whole old object or the
whole new one, never a part, so no temporary name is needed here.

``ZOUFANG_MEDIA_URL=s3://bucket/prefix`` names the place; everything else comes from the usual
S3 environment, which boto3 reads itself: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_DEFAULT_REGION`` or ``AWS_REGION``, and ``AWS_ENDPOINT_URL`` or ``AWS_ENDPOINT_URL_S3``
for a MinIO, Ceph or cloud vendor's server.

County servers often sit on a flaky link. Short timeouts and few retries make a request fail
within seconds instead of holding a worker for minutes, and the readiness probe tries once.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from api.photos.storage import PhotoMissing, check_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Each API worker thread may hold a connection; the server's thread pool has 40 of them.
_REQUESTS = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"mode": "standard", "total_max_attempts": 3},
    max_pool_connections=40,
)
# A load balancer's probe has its own short timeout and asks again anyway.
_PROBE = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard", "total_max_attempts": 1})
# boto3 >= 1.36 adds checksum headers by default that only AWS understands; MinIO, Ceph and
# others refuse such uploads. Every upload carries a Content-MD5 instead, which they all check.
_COMPATIBLE = Config(request_checksum_calculation="when_required", response_checksum_validation="when_required")


class S3Store:
    """Objects named ``prefix/key`` in one bucket."""

    def __init__(
        self, bucket: str, prefix: str = "", *, addressing_style: Literal["auto", "path", "virtual"] = "auto"
    ) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        session = boto3.session.Session()
        endpoint = session.client("s3", config=_REQUESTS).meta.endpoint_url
        custom = not _is_aws(endpoint)
        style = "path" if custom and addressing_style == "auto" else addressing_style
        config = _REQUESTS.merge(Config(s3={"addressing_style": style}))
        if custom:
            config = config.merge(_COMPATIBLE)
        self._client: S3Client = session.client("s3", config=config)
        self._probe: S3Client = session.client("s3", config=config.merge(_PROBE))

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes) -> None:
        digest = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")
        self._client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, ContentMD5=digest)

    def get(self, key: str) -> bytes:
        try:
            body = self._client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise PhotoMissing(key) from None
            raise
        try:
            return body.read()
        finally:
            body.close()

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def stale_keys(self, prefix: str, *, written_before: datetime) -> Iterator[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        for page in pages:
            for item in page.get("Contents", []):
                if item["LastModified"] < written_before:
                    yield item["Key"].removeprefix(self.prefix)

    def health(self) -> str:
        """``ok`` when the bucket answers a HEAD with these credentials, in one quick try."""
        try:
            self._probe.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            return f"error: {error.get('Code', '?')} {error.get('Message', '')}".rstrip()
        except Exception as exc:
            return f"error: {type(exc).__name__}"
        return "ok"


def _is_aws(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))
