"""API keys (creation, lookup) and the authorisation rules of site writes.

Keys are 256-bit random tokens: a plain SHA-256 digest is enough to store them (no password
stretching is needed for high-entropy secrets, and lookups stay O(1) by unique index).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.auth import repository
from app.errors import Forbidden, InvalidInput, NotAuthenticated
from app.models import ROLES, ApiKey, Epci

KEY_PREFIX = "fon_"


@dataclass(frozen=True)
class Principal:
    """Who calls: anonymous (role None), an investor, a territory's staff, or an admin."""

    role: str | None = None
    epci_siren: str | None = None
    key_id: int | None = None
    label: str | None = None

    @property
    def is_authenticated(self) -> bool:
        """True when the request carried a valid key."""
        return self.role is not None

    @property
    def is_admin(self) -> bool:
        """True for admins, who may do everything."""
        return self.role == "admin"

    def describe(self) -> str:
        """Return a short text for the audit trail ("territory_staff:200041630 #3 (label)")."""
        if self.role is None:
            return "anonymous"
        who = f"{self.role}:{self.epci_siren}" if self.epci_siren else self.role
        label = f" ({self.label})" if self.label else ""
        return f"{who} #{self.key_id}{label}"


ANONYMOUS = Principal()


def digest_of(key: str) -> str:
    """Return the stored digest of a clear key."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    session: Session, *, role: str, epci_siren: str | None = None, label: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key; return the row and the clear key (shown once, never stored)."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", errors=[])
    if role == "territory_staff":
        if not epci_siren:
            raise InvalidInput("a territory_staff key needs --epci SIREN")
        if session.get(Epci, epci_siren) is None:
            raise InvalidInput(f"unknown EPCI SIREN {epci_siren!r} (load the territories first)")
    elif epci_siren:
        raise InvalidInput(f"only territory_staff keys carry an EPCI, not {role}")
    clear = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        prefix=clear[:12], digest=digest_of(clear), role=role, epci_siren=epci_siren, label=label
    )
    return repository.add(session, row), clear


def authenticate(session: Session, authorization: str | None) -> Principal:
    """Return the caller for an ``Authorization`` header (anonymous when absent)."""
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("the Authorization header must be 'Bearer <key>'")
    row = repository.by_digest(session, digest_of(token.strip()))
    if row is None:
        raise NotAuthenticated("unknown or revoked API key")
    return Principal(role=row.role, epci_siren=row.epci_siren, key_id=row.id, label=row.label)


def revoke(session: Session, *, key_id: int) -> ApiKey | None:
    """Revoke a key by id; return it (None when unknown)."""
    row = session.get(ApiKey, key_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.flush()
    return row


def require_writer(principal: Principal) -> None:
    """Refuse anonymous callers (401) and read-only roles (403) on a write."""
    if not principal.is_authenticated:
        raise NotAuthenticated()
    if principal.role not in ("territory_staff", "admin"):
        raise Forbidden(f"the role {principal.role!r} is read-only")


def require_territory(principal: Principal, epci_siren: str | None, *, what: str) -> None:
    """Refuse a staff member writing land owned by another EPCI (403)."""
    require_writer(principal)
    if principal.is_admin:
        return
    if epci_siren != principal.epci_siren:
        raise Forbidden(
            f"{what} belongs to EPCI {epci_siren or 'none'}; your key may only write land of "
            f"EPCI {principal.epci_siren}"
        )


def can_see_drafts_of(principal: Principal) -> str | None | bool:
    """Return True (all drafts), an EPCI SIREN (that EPCI's drafts) or False (published only)."""
    if principal.is_admin:
        return True
    if principal.role == "territory_staff":
        return principal.epci_siren
    return False
