"""The country every generated client lives in: organisations, staff and grantee keys.

Fictional throughout. There are 22 counties (wellbeing services counties, of very different
sizes), three national organisations that belong to nearly every client's network (Kela,
and the Criminal Sanctions Agency's prisons and its probation offices), and thirty local
organisations per county (housing, health, employment services, NGOs, peer support). Each
county has one caseworker per thirty clients; each partner organisation has staff accounts
(twenty for a national one) and an X25519 grantee key pair, wrapped under the master key
exactly as ``sharing.seal`` wraps it.

Every account shares one argon2id hash of ``PASSWORD`` (computed once with the app's
production cost): signing in is not what the benchmarks measure, and hashing tens of
thousands of passwords would dominate the generation time.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from app.models import OrgKind, Role
from app.settings import Settings
from benchmarks.scale import Scale
from sharing import seal
from sharing.keys import Keyring
from sharing.models import GranteeKey

PASSWORD = "bench-kuvitteellinen"  # noqa: S105  (fictional benchmark accounts on loopback only)
COUNTIES = 22
LOCAL_PER_COUNTY = 30
CLIENTS_PER_WORKER = 30
NATIONAL_STAFF = 20
ADMIN = "bench.admin"  # the administrator whose home the benchmarks load
LOCAL_KINDS = (
    (OrgKind.PUBLIC_SERVICE, "asumispalvelut"),
    (OrgKind.PUBLIC_SERVICE, "terveyspalvelut"),
    (OrgKind.PUBLIC_SERVICE, "työllisyyspalvelut"),
    (OrgKind.NGO, "tukiyhdistys ry"),
    (OrgKind.PEER_SUPPORT, "vertaistuki ry"),
    (OrgKind.OTHER, "seurakunta"),
)


@dataclass(frozen=True)
class Organisation:
    id: uuid.UUID
    name: str
    kind: OrgKind
    county: int | None  # the county a local organisation works in; None: national or county


@dataclass(frozen=True)
class World:
    """Everything a worker process needs to build clients (picklable)."""

    now: datetime
    counties: list[Organisation]
    national: list[Organisation]  # Kela, prisons, probation: in nearly every network
    local: list[list[Organisation]]  # per county
    caseworkers: list[list[uuid.UUID]]  # per county
    partner_staff: dict[uuid.UUID, list[uuid.UUID]]  # organisation → its staff accounts
    grantee_keys: dict[uuid.UUID, tuple[uuid.UUID, bytes]]  # organisation → (key id, public)
    client_county: list[int]  # county of each client, by the client's index
    client_worker: list[uuid.UUID]  # responsible worker of each client, by index
    password_hash: str = field(repr=False)
    usernames: dict[str, str] = field(default_factory=dict)  # role → a sample username

    @property
    def kela(self) -> Organisation:
        return self.national[0]

    @property
    def prison(self) -> Organisation:
        return self.national[1]

    @property
    def probation(self) -> Organisation:
        return self.national[2]


def password_hash(settings: Settings) -> str:
    """One argon2id hash of ``PASSWORD`` at the app's configured cost."""
    hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )
    return hasher.hash(PASSWORD)


def build_world(
    scale: Scale, keyring: Keyring, hashed: str, now: datetime
) -> tuple[World, dict[str, list[dict[str, Any]]]]:
    """The country for ``scale`` and its rows by table name (organisations, users, keys)."""
    rng = random.Random(scale.seed)
    created = now - timedelta(days=1200)
    counties = [
        Organisation(uuid.uuid4(), f"Kuvitteellinen hyvinvointialue {n + 1:02d}", OrgKind.COUNTY, n)
        for n in range(COUNTIES)
    ]
    national = [
        Organisation(uuid.uuid4(), "Kela (kuvitteellinen)", OrgKind.PUBLIC_SERVICE, None),
        Organisation(
            uuid.uuid4(), "Rikosseuraamuslaitos, vankilat (kuvitteellinen)", OrgKind.PRISON, None
        ),
        Organisation(
            uuid.uuid4(),
            "Rikosseuraamuslaitos, yhdyskuntaseuraamustoimistot (kuvitteellinen)",
            OrgKind.PROBATION,
            None,
        ),
    ]
    local = [
        [
            Organisation(
                uuid.uuid4(),
                f"Kuvitteelliset {LOCAL_KINDS[j % len(LOCAL_KINDS)][1]} {n + 1:02d}-{j + 1:02d}",
                LOCAL_KINDS[j % len(LOCAL_KINDS)][0],
                n,
            )
            for j in range(LOCAL_PER_COUNTY)
        ]
        for n in range(COUNTIES)
    ]
    # Counties of very different sizes: the first is about five times the last.
    weights = [1 / (1 + 0.2 * n) for n in range(COUNTIES)]
    client_county = rng.choices(range(COUNTIES), weights=weights, k=scale.clients)
    per_county = [client_county.count(n) for n in range(COUNTIES)]

    organisation_rows = [
        {
            "id": org.id,
            "name": org.name,
            "kind": org.kind,
            "municipality": f"Kuvitelmala {org.county + 1:02d}" if org.county is not None else None,
            "created_at": created,
        }
        for org in [*counties, *national, *(org for county in local for org in county)]
    ]
    users: list[dict[str, Any]] = []

    def account(username: str, role: Role, organisation: uuid.UUID | None, name: str) -> uuid.UUID:
        user_id = uuid.uuid4()
        users.append(
            {
                "id": user_id,
                "username": username,
                "display_name": name,
                "password_hash": hashed,
                "role": role,
                "organisation_id": organisation,
                "client_id": None,
                "locale": "fi",
                "created_at": created,
            }
        )
        return user_id

    caseworkers = [
        [
            account(
                f"bench.cw.{n + 1:02d}.{j + 1:03d}",
                Role.CASEWORKER,
                counties[n].id,
                f"Kuvitteellinen Työntekijä {n + 1:02d}-{j + 1:03d}",
            )
            for j in range(max(2, math.ceil(per_county[n] / CLIENTS_PER_WORKER)))
        ]
        for n in range(COUNTIES)
    ]
    partner_staff: dict[uuid.UUID, list[uuid.UUID]] = {}
    for i, org in enumerate(national):
        partner_staff[org.id] = [
            account(f"bench.national{i + 1}.{j + 1:02d}", Role.PARTNER, org.id, f"Kumppani {j}")
            for j in range(NATIONAL_STAFF)
        ]
    for n, county in enumerate(local):
        for j, org in enumerate(county):
            partner_staff[org.id] = [
                account(f"bench.local.{n + 1:02d}.{j + 1:02d}", Role.PARTNER, org.id, "Kumppani")
            ]
    account(ADMIN, Role.ADMIN, None, "Kuvitteellinen Ylläpitäjä")
    client_worker = [rng.choice(caseworkers[county]) for county in client_county]

    grantee_rows = []
    grantee_keys: dict[uuid.UUID, tuple[uuid.UUID, bytes]] = {}
    for org_id in partner_staff:
        row, public = grantee_key_row(keyring, organisation_id=org_id, member_id=None, at=created)
        grantee_rows.append(row)
        grantee_keys[org_id] = (row["id"], public)

    busiest = max(range(COUNTIES), key=lambda n: per_county[n])
    world = World(
        now=now,
        counties=counties,
        national=national,
        local=local,
        caseworkers=caseworkers,
        partner_staff=partner_staff,
        grantee_keys=grantee_keys,
        client_county=client_county,
        client_worker=client_worker,
        password_hash=hashed,
        usernames={
            "caseworker": f"bench.cw.{busiest + 1:02d}.001",
            "partner": "bench.national1.01",  # Kela: a member of nearly every network
        },
    )
    rows = {
        "organisations": organisation_rows,
        "users": users,
        "grantee_keys": grantee_rows,
    }
    return world, rows


def grantee_key_row(
    keyring: Keyring,
    *,
    organisation_id: uuid.UUID | None,
    member_id: uuid.UUID | None,
    at: datetime,
) -> tuple[dict[str, Any], bytes]:
    """A new X25519 grantee key pair as ``sharing.seal`` stores one, and its public key."""
    private = X25519PrivateKey.generate()
    public = private.public_key().public_bytes_raw()
    row = GranteeKey(id=uuid.uuid4(), organisation_id=organisation_id, member_id=member_id)
    # The same wrapping context ``sharing.seal._new_grantee_key`` binds the private key to.
    master_key_id, wrapped = keyring.wrap(
        private.private_bytes_raw(), seal._grantee_context(row.id)
    )
    return {
        "id": row.id,
        "organisation_id": organisation_id,
        "member_id": member_id,
        "public_key": public,
        "master_key_id": master_key_id,
        "private_wrapped": wrapped,
        "created_at": at,
    }, public
