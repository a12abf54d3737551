"""A seeded ``zoufang serve`` for browser tests: a village ready for its secretary.

The county is set up through the HTTP API the way a county sets itself up: a county, a town, a
village with its point and radius, a dozen households as a ledger lists them, a secretary posted there
60 days ago and a county supervisor. Only the administrator comes from the command line, as in
a real installation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.servers import run_cli, running_server

# The field village, in Guizhou near Guiyang (the names and the codes are made up).
COUNTY_CODE = "520198000000"
TOWN_CODE = "520198101000"
VILLAGE_CODE = "520198101201"
VILLAGE_NAME = "高坡村"
FIELD_LAT, FIELD_LON, FIELD_RADIUS_M = 26.58, 106.71, 1500
POSTED_DAYS_AGO = 60

# Head of household, villager group, tags: what a village ledger (台账) holds.
HOUSEHOLDS = [
    ("张富贵", "一组", ["脱贫户"]),
    ("李秀英", "一组", ["低保户", "留守老人"]),
    ("王德明", "一组", []),
    ("刘桂兰", "一组", ["监测户"]),
    ("陈国强", "二组", ["脱贫户"]),
    ("杨小红", "二组", ["留守儿童"]),
    ("赵大山", "二组", ["残疾人家庭"]),
    ("黄玉梅", "二组", []),
    ("吴长顺", "三组", ["脱贫户", "易地搬迁"]),
    ("周春花", "三组", []),
    ("罗永福", "三组", ["低保户"]),
    ("龙金凤", "三组", ["监测户"]),
]


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    display_name: str
    user_id: int | None = None


ADMIN = Login("admin", "field-admin-pass-1", "系统管理员")
SECRETARY = Login("sec", "field-pass-1", "王建国")
SUPERVISOR = Login("county", "field-county-pass-1", "李明")


@dataclass
class FieldServer:
    """A running ``zoufang serve`` with a village ready for its secretary, and a client of its API.

    ``api`` and ``get_bytes`` take paths under ``/api/v1`` and act as one of the seeded users
    (``admin``, ``sec``, ``county``), so a test can check what the phone sent actually arrived.
    """

    base_url: str
    data_dir: Path
    pwa_dir: Path
    http: httpx.Client = field(repr=False)
    county_code: str = COUNTY_CODE
    town_code: str = TOWN_CODE
    village_code: str = VILLAGE_CODE
    village_name: str = VILLAGE_NAME
    lat: float = FIELD_LAT
    lon: float = FIELD_LON
    radius_m: int = FIELD_RADIUS_M
    household_ids: list[int] = field(default_factory=list)
    household_names: list[str] = field(default_factory=list)
    admin: Login = ADMIN
    secretary: Login = SECRETARY
    supervisor: Login = SUPERVISOR
    others: list[Login] = field(default_factory=list)
    _tokens: dict[str, str] = field(default_factory=dict, repr=False)

    def api(self, method: str, path: str, json: Any = None, as_user: str = "admin") -> Any:
        """Call ``/api/v1{path}``; return the parsed JSON (None for an empty answer), failing on an error."""
        response = self._request(method, path, json=json, as_user=as_user)
        return response.json() if response.content else None

    def add_user(self, login: Login, *, role: str, scope: str | None = None) -> Login:
        """Create one more account (an inspector, say) over the county, or ``scope``; ``api`` can act as it."""
        created = _create_user(self, login, role=role, scope=scope or self.county_code)
        self.others.append(created)
        return created

    def get_bytes(self, path: str, as_user: str = "admin") -> bytes:
        """The raw body of ``GET /api/v1{path}`` (a photo, say)."""
        return self._request("GET", path, as_user=as_user).content

    def _request(self, method: str, path: str, *, json: Any = None, as_user: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._token(as_user)}"}
        response = self.http.request(method, f"/api/v1{path}", json=json, headers=headers)
        assert response.status_code < 400, f"{method} {path} as {as_user}: {response.status_code} {response.text}"
        return response

    def _token(self, username: str) -> str:
        if username not in self._tokens:
            logins = (self.admin, self.secretary, self.supervisor, *self.others)
            login = next(user for user in logins if user.username == username)
            response = self.http.post(
                "/api/v1/auth/token", data={"username": login.username, "password": login.password}
            )
            assert response.status_code == 200, f"log in as {username}: {response.text}"
            self._tokens[username] = response.json()["access_token"]
        return self._tokens[username]


def _seed(server: FieldServer) -> None:
    """A county set up through the API as an administrator would: places, people, households."""
    api = server.api
    api("POST", "/regions", {"code": COUNTY_CODE, "name": "云雾县", "level": "county"})
    api("POST", "/regions", {"code": TOWN_CODE, "name": "石桥镇", "level": "town"})
    api(
        "POST",
        "/regions",
        {
            "code": VILLAGE_CODE,
            "name": VILLAGE_NAME,
            "level": "village",
            "lat": FIELD_LAT,
            "lon": FIELD_LON,
            "radius_m": FIELD_RADIUS_M,
            "weak_lax": True,
            "weak_lax_reasons": ["村集体经济薄弱"],
        },
    )
    for number, (name, group, tags) in enumerate(HOUSEHOLDS, start=1):
        created = api(
            "POST",
            "/households",
            {
                "village_code": VILLAGE_CODE,
                "household_no": f"{number:04d}",
                "head_name": name,
                "group_name": group,
                "address": f"{VILLAGE_NAME}{group}{number}号",
                "phone": f"1398510{number:04d}",
                "tags": tags,
                "lat": round(FIELD_LAT + 0.001 * (number % 4 - 1.5), 6),
                "lon": round(FIELD_LON + 0.001 * (number // 4 - 1), 6),
            },
        )
        server.household_ids.append(created["id"])
        server.household_names.append(name)

    secretary = _create_user(server, SECRETARY, role="secretary", scope=VILLAGE_CODE)
    server.supervisor = _create_user(server, SUPERVISOR, role="county", scope=COUNTY_CODE)
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    api(
        "POST",
        "/assignments",
        {
            "user_id": secretary.user_id,
            "village_code": VILLAGE_CODE,
            "position": "first_secretary",
            "dispatch_unit": "省农业农村厅",
            "start_date": (today - dt.timedelta(days=POSTED_DAYS_AGO)).isoformat(),
        },
    )
    server.secretary = secretary
    server.admin = Login(ADMIN.username, ADMIN.password, ADMIN.display_name, api("GET", "/me")["id"])


def _create_user(server: FieldServer, login: Login, *, role: str, scope: str) -> Login:
    body = {
        "username": login.username,
        "password": login.password,
        "display_name": login.display_name,
        "role": role,
        "scope_code": scope,
    }
    created = server.api("POST", "/users", body)
    return Login(login.username, login.password, login.display_name, created["id"])


@contextmanager
def start_field_server(root: Path, *, pwa_dir: Path, env: Mapping[str, str] | None = None) -> Iterator[FieldServer]:
    """Create the administrator, start ``zoufang serve`` over ``root / "data"``, seed it, stop it at the end."""
    data_dir = root / "data"
    run_cli(
        data_dir,
        "create-user",
        "--username",
        ADMIN.username,
        "--password",
        ADMIN.password,
        "--role",
        "admin",
        "--display-name",
        ADMIN.display_name,
        env=env,
    )
    with running_server(data_dir, env=env) as base, httpx.Client(base_url=base, timeout=30) as http:
        server = FieldServer(base_url=base, data_dir=data_dir, pwa_dir=pwa_dir, http=http)
        _seed(server)
        yield server
