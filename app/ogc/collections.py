"""The OGC collections: a whitelist of tables, columns and SQL expressions.

Every identifier that reaches SQL in ``app.ogc`` comes from this module; values from requests are
always bound. A collection is a ``FROM`` clause, a base ``WHERE`` (sites: published and live), the
SQL of its id, its geometry and its public properties. Storage is EPSG:4326 (``app.geo.crs``).
"""

from dataclasses import dataclass, field

from app.models import Site

#: JSON Schema type and format of a property, by kind.
JSON_TYPES: dict[str, dict[str, str]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "date-time": {"type": "string", "format": "date-time"},
}

#: SQL type a bound value is cast to, by kind.
SQL_TYPES = {
    "string": "text",
    "integer": "bigint",
    "number": "double precision",
    "boolean": "boolean",
    "date": "date",
    "date-time": "timestamptz",
}


@dataclass(frozen=True)
class Prop:
    """A public property: its name, SQL expression and kind (a key of ``JSON_TYPES``)."""

    name: str
    sql: str
    kind: str
    title: str | None = None


@dataclass(frozen=True)
class Collection:
    """One OGC collection over PostGIS."""

    id: str
    title: str
    description: str
    from_sql: str
    id_sql: str
    id_kind: str
    geom_sql: str
    #: JSON Schema format of the geometry (OGC Features Part 5 ``geometry-*``).
    geometry_format: str
    props: tuple[Prop, ...]
    where_sql: str = "TRUE"
    #: Property holding the collection's instant (``datetime`` parameter), if any.
    datetime_prop: str | None = None
    #: Keyset order: SQL expressions, unique together (the id last).
    key_sql: tuple[str, ...] = ()
    #: Properties written into vector tiles (lean tiles; the id is always written).
    tile_props: tuple[str, ...] = ()
    tile_minzoom: int = 0
    tile_maxzoom: int = 22
    #: Largest number of features in one tile, so that no tile explodes.
    tile_max_features: int = 10_000
    #: Reference data changes rarely: clients may cache it longer.
    max_age: int = 60
    #: Extra predicate on the id for partition pruning (parcels: the département).
    partition_of_id: str | None = None
    #: The base table alone, for counts whose filters do not touch the joined tables: PostgreSQL
    #: removes the useless LEFT JOINs but then no longer considers an index-only scan (15 ms
    #: instead of 70 ms for 100 000 sites).
    count_from_sql: str | None = None
    #: Aliases of the joined tables (a filter naming one needs the joins in the count).
    joined_aliases: tuple[str, ...] = ()
    by_name: dict[str, Prop] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {p.name: p for p in self.props})

    @property
    def keys(self) -> tuple[str, ...]:
        """The keyset order of the collection (its id unless stated)."""
        return self.key_sql or (self.id_sql,)


def _kind_of(column_type: object) -> str | None:
    name = type(column_type).__name__.lower()
    if "int" in name:
        return "integer"
    if name in ("float", "numeric", "double", "real"):
        return "number"
    if name == "boolean":
        return "boolean"
    if name == "date":
        return "date"
    if name == "datetime":
        return "date-time"
    if name in ("string", "text", "varchar"):
        return "string"
    return None


#: Site columns that are never published through OGC: internal keys, the geometry columns, the
#: confidential price, personal data of owners and contacts, bookkeeping that is always the same.
SITE_EXCLUDED = frozenset(
    {
        "id",
        "geom",
        "point",
        "deleted_at",
        "published",
        "warnings",
        "terr_m2_prix",
        "proprio_nom",
        "source_contact",
    }
)

#: Scores of a site (LEFT JOINs: null until computed).
SITE_SCORES = (
    Prop("mutability_index", "d.mutability_index", "number", "Mutafriches index (industry)"),
    Prop("mutability_reliability", "d.mutability_reliability", "number"),
    Prop("naf_new_m2", "d.naf_new_m2", "number", "NAF land take in m² (ZAN)"),
    Prop("sobriety_score", "d.sobriety_score", "number"),
    Prop("permits_typical_months", "sp.typical_months", "number", "Months to final permits"),
)


def _site_props() -> tuple[Prop, ...]:
    props = []
    for column in Site.__table__.columns:
        if column.name in SITE_EXCLUDED:
            continue
        kind = _kind_of(column.type)
        if kind is None:
            raise TypeError(f"site.{column.name}: no OGC kind for {column.type!r}")
        props.append(Prop(column.name, f"s.{column.name}", kind))
    return (*props, *SITE_SCORES)


def _simple(alias: str, columns: list[tuple[str, str]]) -> tuple[Prop, ...]:
    return tuple(Prop(name, f"{alias}.{name}", kind) for name, kind in columns)


def build_collections() -> dict[str, Collection]:
    """Return the collections served under ``/ogc``, by id (ids never contain dots)."""
    collections = [
        Collection(
            id="sites",
            title="Sites (friches, turnkey sites, serviced plots)",
            description="Published sites offered to industry, with their public CNIG fields and "
            "scores: Mutafriches mutability index, ZAN land take and sobriety, months to permits "
            "(no ICPE). Scores are null until computed.",
            from_sql="site s LEFT JOIN site_derived d ON d.site_pk = s.id "
            "LEFT JOIN site_permits sp ON sp.site_pk = s.id AND sp.icpe = 'none'",
            where_sql="s.published AND s.deleted_at IS NULL",
            count_from_sql="site s",
            joined_aliases=("d", "sp"),
            id_sql="s.site_id",
            id_kind="string",
            geom_sql="coalesce(s.geom, s.point)",
            geometry_format="geometry-any",
            props=_site_props(),
            datetime_prop="site_actu_date",
            tile_props=(
                "site_nom",
                "kind",
                "site_type",
                "site_statut",
                "comm_nom",
                "area_m2",
                "mutability_index",
                "sobriety_score",
                "permits_typical_months",
            ),
        ),
        Collection(
            id="parcels",
            title="Cadastre parcels",
            description="Etalab cadastre parcels (IDU = INSEE + prefix + section + number), "
            "as loaded; tiles from zoom 13.",
            from_sql="parcel p",
            id_sql="p.idu",
            id_kind="string",
            geom_sql="p.geom",
            geometry_format="geometry-multipolygon",
            props=_simple(
                "p",
                [
                    ("idu", "string"),
                    ("commune", "string"),
                    ("prefixe", "string"),
                    ("section", "string"),
                    ("numero", "string"),
                    ("contenance", "integer"),
                    ("arpente", "boolean"),
                    ("source_created", "date"),
                    ("source_updated", "date"),
                ],
            ),
            datetime_prop="source_updated",
            key_sql=("p.departement", "p.idu"),
            tile_props=("commune", "section", "numero", "contenance"),
            tile_minzoom=13,
            tile_max_features=20_000,
            partition_of_id="p.departement",
        ),
        Collection(
            id="epci",
            title="EPCI (intercommunalities)",
            description="Intercommunalities with their own taxation (SIREN), which register land.",
            from_sql="epci e",
            id_sql="e.siren",
            id_kind="string",
            geom_sql="e.geom",
            geometry_format="geometry-multipolygon",
            props=_simple(
                "e",
                [("siren", "string"), ("nom", "string"), ("nature_juridique", "string")],
            ),
            tile_props=("nom",),
            max_age=3600,
        ),
        Collection(
            id="territoires_industrie",
            title="Territoires d'industrie",
            description="Territoires d'industrie 2023–2027 (ANCT), groups of EPCIs.",
            from_sql="territoire_industrie t",
            id_sql="t.id",
            id_kind="string",
            geom_sql="t.geom",
            geometry_format="geometry-multipolygon",
            props=(
                Prop("id", "t.id", "string"),
                Prop("nom", "t.nom", "string"),
                Prop(
                    "epci_count",
                    "(SELECT count(*) FROM territoire_industrie_epci m "
                    "WHERE m.territoire_id = t.id)",
                    "integer",
                ),
            ),
            tile_props=("nom",),
            max_age=3600,
        ),
        Collection(
            id="communes",
            title="Communes",
            description="Communes (COG 2024) with their EPCI and municipal population.",
            from_sql="commune c",
            id_sql="c.insee",
            id_kind="string",
            geom_sql="c.geom",
            geometry_format="geometry-multipolygon",
            props=_simple(
                "c",
                [
                    ("insee", "string"),
                    ("nom", "string"),
                    ("departement_code", "string"),
                    ("typecom", "string"),
                    ("parent_insee", "string"),
                    ("epci_siren", "string"),
                    ("pmun", "integer"),
                ],
            ),
            tile_props=("nom", "epci_siren"),
            # 35 000 polygons: below zoom 7 a tile would hold thousands of them (use EPCIs).
            tile_minzoom=7,
            max_age=3600,
        ),
        Collection(
            id="departements",
            title="Départements",
            description="Départements (INSEE code) and their région.",
            from_sql="departement dp",
            id_sql="dp.code",
            id_kind="string",
            geom_sql="dp.geom",
            geometry_format="geometry-multipolygon",
            props=_simple(
                "dp",
                [("code", "string"), ("nom", "string"), ("region_code", "string")],
            ),
            tile_props=("nom",),
            max_age=3600,
        ),
        Collection(
            id="regions",
            title="Régions",
            description="Régions (INSEE code).",
            from_sql="region r",
            id_sql="r.code",
            id_kind="string",
            geom_sql="r.geom",
            geometry_format="geometry-multipolygon",
            props=_simple("r", [("code", "string"), ("nom", "string")]),
            tile_props=("nom",),
            max_age=3600,
        ),
        Collection(
            id="polluted_sites",
            title="Polluted sites (BASOL, ADEME)",
            description="Polluted or potentially polluted sites of the public registers, as "
            "points; position_precision 'commune' means only the commune is known.",
            from_sql="polluted_site ps",
            id_sql="ps.id",
            id_kind="integer",
            geom_sql="ps.geom",
            geometry_format="geometry-point",
            props=_simple(
                "ps",
                [
                    ("register", "string"),
                    ("register_id", "string"),
                    ("nom", "string"),
                    ("comm_insee", "string"),
                    ("commune_nom", "string"),
                    ("statut", "string"),
                    ("surface_m2", "number"),
                    ("url", "string"),
                    ("position_precision", "string"),
                ],
            ),
            tile_props=("register", "nom", "statut"),
        ),
    ]
    return {c.id: c for c in collections}


COLLECTIONS = build_collections()
