"""Route of the mutability slice: ADEME's Mutafriches index of a set of criteria (pure)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body

from app.errors import ERROR_RESPONSES, FieldError, InvalidInput
from app.mutability import method
from app.mutability.schemas import MutabilityRead, MutabilityRequest

router = APIRouter(prefix="/api/v1", tags=["mutability"], responses=ERROR_RESPONSES)

EXAMPLES: dict[str, dict[str, Any]] = {
    "industrial_friche": {
        "summary": "An industrial friche, latest version",
        "value": {
            "version": method.LATEST_VERSION,
            "criteria": {
                "surfaceSite": 62000,
                "surfaceBati": 12500,
                "distanceAutoroute": 800,
                "zonageReglementaire": "zone-vocation-activites",
                "etatBatiInfrastructure": "degradation-moyenne",
                "presencePollution": "oui-autres-composes",
                "typeProprietaire": "prive",
                "siteEnZae": True,
                "distanceIte": "moins-1km-mauvais-etat",
            },
        },
    },
    "reference_spreadsheet": {
        "summary": "v1.1 as ADEME's reference spreadsheet (water and natural risk as given)",
        "value": {
            "version": "v1.1",
            "criteria": {
                "surfaceSite": 12000,
                "raccordementEau": "oui",
                "presenceRisquesNaturels": "faible",
                "siteEnCentreVille": False,
                "zonageReglementaire": "zone-vocation-activites",
            },
        },
    },
    "wetland": {
        "summary": "Wetland with protected species: industry excluded (v1.19)",
        "value": {
            "criteria": {
                "surfaceSite": 30000,
                "presenceZoneHumide": "oui",
                "presenceEspecesProtegees": "oui",
            }
        },
    },
}


def _criteria_doc() -> str:
    rows = [
        f"| `{c.key}` | {c.weight:g} | {c.unit} | "
        + (", ".join(f"`{v}`" for v in c.allowed) if c.kind == "enum" else c.kind)
        + " |"
        for c in method.load_method(method.LATEST_VERSION).criteria.values()
    ]
    return "\n".join(
        [
            "| criterion | weight | unit | values |",
            "|---|---|---|---|",
            *rows,
        ]
    )


@router.post(
    "/mutability",
    response_model=MutabilityRead,
    summary="ADEME Mutafriches mutability index of the seven usages",
    description=(
        "Computes ADEME's mutability index (Mutafriches) for the seven usages exactly as "
        "published, for the versions "
        + ", ".join(method.VERSIONS)
        + f" (default {method.LATEST_VERSION}). Each usage's index is advantages / (advantages "
        "+ constraints) × 100; the reliability note (0–10) is the share of the version's weight "
        "that was answered. v1.1 takes `raccordementEau` and `presenceRisquesNaturels` as given "
        "(ADEME's reference spreadsheet); later versions derive `raccordementEau` from "
        "`surfaceBati`; v1.19 applies the exclusion rules. Unknown version, key or value: 422 "
        "naming the field. See docs/mutability.md.\n\nCriteria of "
        f"{method.LATEST_VERSION}:\n\n{_criteria_doc()}"
    ),
)
def mutability(
    body: Annotated[MutabilityRequest, Body(openapi_examples=EXAMPLES)],  # type: ignore[arg-type]
) -> dict[str, Any]:
    """Score the seven usages of the criteria given (no database; open to anonymous callers)."""
    try:
        result = method.evaluate(body.version, body.criteria)
    except method.MutabilityInputError as exc:
        raise InvalidInput(
            "invalid Mutafriches input",
            errors=[
                FieldError(p.field, p.reason, list(p.allowed) if p.allowed else None)
                for p in exc.problems
            ],
        ) from exc
    return result.to_dict()
