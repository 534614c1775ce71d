// The investor's criteria (POST /api/v1/matches), their French labels and form inputs.

export interface InputDef {
  key: string; // key in the criterion object (min, max, date, radius_km)
  label: string;
  type: "number" | "date";
  step?: string;
  min?: string;
  choices?: number[]; // a select instead of a free number
}

export interface CriterionDef {
  id: string;
  label: string;
  unit?: string;
  inputs: InputDef[];
  /** Presence-only criterion (gas, rail siding, friche preference): a checkbox turns it on. */
  flag?: boolean;
  /** A preference only: weight, never must. */
  preferenceOnly?: boolean;
  hint?: string;
  group: string;
}

const num = (key: string, label: string, step = "any", min = "0"): InputDef => ({ key, label, type: "number", step, min });

export const CRITERIA: CriterionDef[] = [
  { id: "surface_ha", label: "Surface du terrain", unit: "ha", inputs: [num("min", "min. (ha)"), num("max", "max. (ha)")], group: "Terrain" },
  { id: "buildings_m2", label: "Bâtiments existants", unit: "m²", inputs: [num("min", "min. (m²)", "1")], group: "Terrain" },
  { id: "kinds", label: "Types de site", inputs: [], group: "Terrain" },
  { id: "price_m2", label: "Prix du terrain", unit: "€/m²", inputs: [num("max", "max. (€/m²)")], group: "Terrain" },
  { id: "available_by", label: "Disponible au plus tard le", inputs: [{ key: "date", label: "date", type: "date" }], group: "Terrain" },
  { id: "power_mw", label: "Puissance électrique", unit: "MW", inputs: [num("min", "min. (MW)")], group: "Réseaux" },
  { id: "water_m3_day", label: "Eau industrielle", unit: "m³/jour", inputs: [num("min", "min. (m³/j)")], group: "Réseaux" },
  { id: "gas", label: "Raccordement au gaz", inputs: [], flag: true, group: "Réseaux" },
  { id: "rail_siding", label: "Embranchement ferroviaire", inputs: [], flag: true, group: "Accès" },
  { id: "motorway_km", label: "Échangeur autoroutier", unit: "km", inputs: [num("max", "à moins de (km)")], group: "Accès" },
  { id: "freight_station_km", label: "Gare de fret", unit: "km", inputs: [num("max", "à moins de (km)")], group: "Accès" },
  { id: "port_km", label: "Port", unit: "km", inputs: [num("max", "à moins de (km)")], group: "Accès" },
  { id: "months_to_permits", label: "Délai d'obtention des autorisations", unit: "mois", inputs: [num("max", "max. (mois)")], group: "Procédures" },
  { id: "friche_preference", label: "Préférer les friches (sobriété foncière, ZAN)", inputs: [], flag: true, preferenceOnly: true, group: "Procédures" },
  {
    id: "labour_pool",
    label: "Bassin d'emploi (population)",
    inputs: [
      { key: "radius_km", label: "rayon (km)", type: "number", choices: [10, 20, 30, 50] },
      num("min", "habitants min.", "1000"),
    ],
    group: "Procédures",
  },
];

export const KINDS: [string, string][] = [
  ["friche", "Friche"],
  ["turnkey", "Site clé en main"],
  ["serviced_plot", "Terrain viabilisé"],
];

export const KIND_LABEL: Record<string, string> = Object.fromEntries(KINDS);

export const ICPE: [string, string][] = [
  ["", "Pas d'ICPE / non précisé"],
  ["declaration", "Déclaration"],
  ["enregistrement", "Enregistrement"],
  ["autorisation", "Autorisation"],
  ["seveso_low", "Seveso seuil bas"],
  ["seveso_high", "Seveso seuil haut"],
];

export const STATUS_LABEL: Record<string, string> = {
  met: "satisfait",
  partial: "en partie",
  unmet: "non satisfait",
  unknown: "inconnu",
};

export interface Criterion {
  must?: boolean;
  weight?: number;
  [key: string]: unknown;
}

export interface Location {
  regions?: string[];
  departements?: string[];
  epcis?: string[];
  territoires_industrie?: string[];
  point?: { lon: number; lat: number } | null;
  radius_km?: number | null;
}

export interface MatchRequest {
  icpe: string | null;
  criteria: Record<string, Criterion | Location>;
}

/** A label for a criterion id (the API's own label is preferred when it gives one). */
export function criterionLabel(id: string): string {
  if (id === "location") return "Localisation";
  if (id === "icpe") return "Régime ICPE";
  return CRITERIA.find((c) => c.id === id)?.label ?? id;
}
