"""Request and response schemas of the site catalogue (GeoJSON Features with CNIG properties)."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.models import PROCEDURE_STATUSES, SITE_KINDS
from app.sites import cnig

_E = cnig.enumerations()

Kind = Literal[SITE_KINDS]  # type: ignore[valid-type]
OuiNon = Literal["oui", "non"]
Year = Annotated[int, Field(ge=1800, le=2100)]
Count = Annotated[int, Field(ge=0)]
Positive = Annotated[float, Field(ge=0)]
#: Free text: long enough for the longest real CNIG values (activity lists, parcel lists of
#: large sites in Cartofriches); the request body cap bounds the whole payload anyway.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)]
Insee = Annotated[str, StringConstraints(pattern=r"^(?:\d{2}|2[AB])\d{3}$")]
Siren = Annotated[str, StringConstraints(pattern=r"^\d{9}$")]
Idu = Annotated[str, StringConstraints(pattern=cnig.IDU_RE.pattern)]
SiteId = Annotated[
    str, StringConstraints(pattern=r"^(?:\d{2}|2[AB])\d{3}_[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
]
HttpUrl = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]


def _enum(name: str) -> Any:
    return Literal[_E[name]]  # type: ignore[valid-type]


class SiteProperties(BaseModel):
    """Writable properties of a site. Names and enumerations are CNIG's (DOMAIN.md §3)."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind | None = Field(None, description="friche, turnkey (site clé en main), serviced_plot")
    published: bool | None = Field(None, description="visible to the public (default: draft)")
    # CNIG Friches v1.0.6
    site_nom: Text | None = None
    site_type: _enum("site_type") | None = None
    site_adresse: Text | None = None
    site_identif_date: date | None = None
    site_actu_date: date | None = None
    site_url: Text | None = Field(None, description="|-separated http(s) URLs")
    site_ademe_url: HttpUrl | None = None
    site_securite: _enum("site_securite") | None = None
    site_occupation: _enum("site_occupation") | None = None
    site_statut: _enum("site_statut") | None = None
    site_projet_url: Text | None = None
    site_reconv_annee: Year | None = None
    site_reconv_type: _enum("site_reconv_type") | None = None
    activite_libelle: Text | None = None
    activite_code: Text | None = Field(None, description="|-separated NAF codes (C25.11Z)")
    activite_fin_annee: Year | None = None
    comm_nom: Text | None = None
    comm_insee: Insee | None = None
    bati_type: Text | None = Field(
        None, description="|-separated: " + ", ".join(cnig.MULTI_ITEM_ENUMS["bati_type"])
    )
    bati_nombre: Count | None = None
    bati_surface: Count | None = Field(None, description="built floor area, m²")
    bati_pollution: _enum("bati_pollution") | None = None
    bati_vacance: _enum("bati_vacance") | None = None
    bati_patrimoine: _enum("bati_patrimoine") | None = None
    bati_etat: _enum("bati_etat") | None = None
    local_ancien_annee: Year | None = None
    local_recent_annee: Year | None = None
    proprio_type: Text | None = Field(None, description="|-separated catpro3 codes (P5a)")
    proprio_personne: Text | None = None
    proprio_nom: Text | None = None
    sol_pollution_annee: Year | None = None
    sol_pollution_existe: _enum("sol_pollution_existe") | None = None
    sol_pollution_origine: _enum("sol_pollution_origine") | None = None
    sol_pollution_commentaire: Text | None = None
    sol_depollution_fiche: HttpUrl | None = None
    unite_fonciere_surface: Count | None = Field(None, description="m²")
    unite_fonciere_refcad: Text | None = Field(None, description="|-separated parcel IDUs")
    urba_zone_type: _enum("urba_zone_type") | None = None
    urba_zone_lib: Text | None = None
    urba_zone_formdomi: Text | None = None
    urba_zaer: _enum("urba_zaer") | None = None
    urba_doc_type: _enum("urba_doc_type") | None = None
    desserte_distance: Annotated[str, StringConstraints(pattern=r"^\d+\|\d+\|\d+$")] | None = None
    desserte_commentaire: Text | None = None
    source_nom: Text | None = None
    source_url: Text | None = None
    source_producteur: Text | None = None
    source_contact: Text | None = None
    # CNIG Sites économiques v2024-10 (SITE-ECO: the zone; TERRAIN-ECO: the plot)
    eco_site_id: Text | None = Field(None, description="SITE-ECO site_id of the zone")
    eco_site_type: Text | None = Field(None, description="SITE-ECO site_type")
    site_vocadomi: Text | None = None
    site_etat: Text | None = None
    site_surf_brute: Positive | None = Field(None, description="ha")
    site_surf_utile: Positive | None = Field(None, description="ha")
    site_quali_territoire: Text | None = None
    site_voca_industrielle: OuiNon | None = None
    reseau_eau_potable: OuiNon | None = None
    reseau_assainissement: OuiNon | None = None
    reseau_gaz: OuiNon | None = None
    reseau_electrique: OuiNon | None = None
    reseau_fibre_optique: OuiNon | None = None
    reseau_fret_ferroviaire: OuiNon | None = Field(None, description="rail siding")
    reseau_fluvial: OuiNon | None = None
    autoroute_nom: Text | None = None
    autoroute_echang_dist: Positive | None = Field(None, description="km to the interchange")
    gare_fret_nom: Text | None = None
    gare_fret_dist: Positive | None = Field(None, description="km to the freight station")
    port_nom: Text | None = None
    port_dist: Positive | None = Field(None, description="km to the port")
    aeroport_nom: Text | None = None
    aeroport_dist: Positive | None = Field(None, description="km to the airport")
    terr_id: Text | None = None
    terr_maitrise_fonc: Text | None = None
    terr_stade_amngt: Text | None = None
    terr_stade_comm: Text | None = None
    terr_etat_occup: Text | None = None
    terr_usage: Text | None = None
    terr_cle_en_main: OuiNon | None = None
    terr_m2_prix: Positive | None = Field(None, description="€/m², confidential")
    # Industry needs
    power_mw: Positive | None = Field(None, description="available electrical power, MW")
    water_m3_day: Positive | None = Field(None, description="available water, m³/day")
    available_from: date | None = None

    @field_validator(*_E.keys(), mode="before")
    @classmethod
    def _fold_apostrophes(cls, value: Any) -> Any:
        """Accept typographic apostrophes in enumerated values (friche d’habitat)."""
        return cnig.normalise_text(value) if isinstance(value, str) else value

    @field_validator(*cnig.MULTI_ITEM_PATTERNS, *cnig.MULTI_ITEM_ENUMS)
    @classmethod
    def _check_items(cls, value: str | None, info: Any) -> str | None:
        """Check each item of a |-separated CNIG field."""
        return None if value is None else cnig.check_multi(info.field_name, value)


class SiteCreate(BaseModel):
    """A GeoJSON Feature for a new site; ``id`` (or properties.site_id) is the CNIG site_id."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["Feature"]
    id: SiteId | None = None
    geometry: dict[str, Any] = Field(description="Polygon or MultiPolygon, CRS84 unless declared")
    properties: SiteProperties
    crs: dict[str, Any] | None = Field(
        None,
        description='legacy GeoJSON CRS member, e.g. {"type":"name","properties":'
        '{"name":"EPSG:2154"}}',
    )


class SitePatch(BaseModel):
    """A JSON merge patch (RFC 7396) of a site: properties and/or geometry."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["Feature"] | None = None
    geometry: dict[str, Any] | None = None
    properties: SiteProperties | None = None
    crs: dict[str, Any] | None = None


class SiteFromParcels(BaseModel):
    """A new site whose geometry is the union of cadastre parcels."""

    model_config = ConfigDict(extra="forbid")

    id: SiteId | None = None
    parcels: list[Idu] = Field(min_length=1, max_length=5000)
    properties: SiteProperties


class SiteFeature(BaseModel):
    """A site as a GeoJSON Feature (documentation model: the body is built by PostGIS)."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class SitePage(BaseModel):
    """A page of sites as a GeoJSON FeatureCollection (documentation model)."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    numberMatched: int  # noqa: N815 (GeoJSON/OGC spelling)
    numberReturned: int  # noqa: N815
    links: list[dict[str, str]]
    features: list[SiteFeature]


class SiteChangeRead(BaseModel):
    """One entry of a site's history."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    version: int
    actor: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ProcedureWrite(BaseModel):
    """State of one procedure of the dossier (DOMAIN.md §5)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal[PROCEDURE_STATUSES]  # type: ignore[valid-type]
    started_on: date | None = None
    completed_on: date | None = None
    valid_until: date | None = None
    document_ref: Text | None = None
    document_url: HttpUrl | None = None
    notes: Text | None = None


class ProcedureRead(ProcedureWrite):
    """A procedure of a site's dossier with its catalogue entry."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    status: Literal[PROCEDURE_STATUSES] | None = Field(  # type: ignore[valid-type]
        description="null when the dossier says nothing of this procedure yet"
    )
    updated_at: datetime | None = None
