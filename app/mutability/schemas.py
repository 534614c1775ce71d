"""Request and response schemas of ``POST /api/v1/mutability`` (ADEME Mutafriches index)."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.mutability.method import LATEST_VERSION, VERSIONS

Version = Literal[VERSIONS]  # type: ignore[valid-type]


class MutabilityRequest(BaseModel):
    """A version of the method and the site's Mutafriches criteria (unknown ones left out)."""

    model_config = ConfigDict(extra="forbid")

    version: Version = Field(  # type: ignore[valid-type]
        LATEST_VERSION, description="Version of the Mutafriches method; defaults to the latest"
    )
    criteria: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Mutafriches criterion keys and values: surfaces in m², distances in metres, vacancy "
            "in %, booleans as true/false, enumerations as the engine's strings. Leave a criterion "
            'out (or send "ne-sait-pas") when it is unknown; null means "searched, nothing '
            'found" and counts as answered.'
        ),
    )


class UsageRead(BaseModel):
    """One of the seven usages, in rank order."""

    usage: str = Field(description="residentiel, equipements, culture, tertiaire, industrie, …")
    indice: float = Field(description="advantages / (advantages + constraints) × 100, 0.1 step")
    potentiel: str = Field(description="Excellent, Très bon, Bon, Moyen, Faible, or Exclu")
    rang: int = Field(description="1 = best; excluded usages come last")
    avantages: float = Field(description="sum of the weighted positive points (N on both sides)")
    contraintes: float = Field(description="sum of the weighted negative points (N on both sides)")
    exclu: bool = Field(description="hit by an exclusion rule (v1.16+)")
    criteresExcluants: list[str] = Field(description="criteria of the rules that excluded it")


class CriterionDetailRead(BaseModel):
    """One criterion of the version as it was scored."""

    critere: str
    poids: float
    renseigne: bool = Field(description="answered: given (null included), not ne-sait-pas")
    valeur: Any = Field(None, description="value after derivation; null when missing")
    ligne: str | None = Field(None, description="matrix row applied; null when skipped")


class ReliabilityRead(BaseModel):
    """Reliability note 0–10 from the share of weight answered, and what it is based on."""

    note: float
    text: str
    description: str
    criteresRenseignes: int
    criteresTotal: int
    poidsRenseignes: float
    poidsTotal: float
    criteresNonRenseignes: list[str]
    detailCriteres: list[CriterionDetailRead]


class MutabilityRead(BaseModel):
    """The index of the seven usages, best first, with the reliability of the answer."""

    version: str
    usages: list[UsageRead]
    fiabilite: ReliabilityRead
    criteresIgnores: list[str] = Field(description="keys given that this version does not use")
    notes: list[str] = Field(description="derived values and replaced nulls, in words")
