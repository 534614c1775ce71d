// Result pieces shared by the list, the comparison and the site page: score bars per criterion,
// the permits timeline with its critical path, the ZAN gauge, ADEME's mutability index.
import { h, months, num } from "./dom";
import { STATUS_LABEL, criterionLabel } from "./criteria";
import { PROCEDURES_FR } from "./labels";
import { scoreColour } from "./map";

export interface Span {
  min: number;
  typical: number;
  max: number;
}
export interface Scheduled {
  code: string;
  name: string;
  status: string | null;
  start: Span;
  end: Span;
}
export interface TimeToPermits {
  months: Span;
  critical_path: string[];
  remaining: Scheduled[];
  works_delays: Scheduled[];
  assumptions?: string[];
}
export interface CriterionResult {
  criterion: string;
  label?: string;
  unit?: string;
  value: unknown;
  requirement: Record<string, unknown> | null;
  must: boolean;
  weight: number;
  status: "met" | "partial" | "unmet" | "unknown";
  score: number | null;
  contribution: number;
  reason: string | null;
}
export interface MatchResult {
  rank: number;
  site_id: string;
  name: string;
  kind: string;
  commune: string;
  comm_insee?: string;
  epci_siren?: string | null;
  score: number;
  eligible: boolean;
  criteria: CriterionResult[];
  failed: { criterion: string; reason: string }[];
  time_to_permits: TimeToPermits | null;
  zan: Record<string, unknown> | null;
  mutability: Record<string, unknown> | null;
}

export function scoreBadge(score: number): HTMLElement {
  return h(
    "span",
    { class: "score-badge", style: { background: scoreColour(score) }, title: "Score total sur 100" },
    `${num(score, 0)}`,
    h("small", null, "/100"),
  );
}

const UNIT_FR: Record<string, string> = { months: "mois", "m³/day": "m³/jour", inhabitants: "habitants", "yes/no": "", kind: "", date: "" };
const fr = (unit?: string) => (unit === undefined ? undefined : UNIT_FR[unit] ?? unit);
const KIND_FR: Record<string, string> = { friche: "friche", turnkey: "clé en main", serviced_plot: "terrain viabilisé" };

function showValue(v: unknown, unit?: string): string {
  unit = fr(unit);
  if (typeof v === "string" && KIND_FR[v]) return KIND_FR[v];
  if (v === null || v === undefined) return "inconnu";
  if (typeof v === "boolean") return v ? "oui" : "non";
  if (typeof v === "number") return `${num(v, 2)}${unit ? ` ${unit}` : ""}`;
  return String(v);
}

function showRequirement(r: Record<string, unknown> | null, unit?: string): string {
  if (!r) return "";
  unit = fr(unit);
  const parts: string[] = [];
  const u = unit ? ` ${unit}` : "";
  if (r.min !== undefined && r.min !== null) parts.push(`≥ ${num(r.min, 2)}${u}`);
  if (r.max !== undefined && r.max !== null) parts.push(`≤ ${num(r.max, 2)}${u}`);
  if (r.date) parts.push(`avant le ${String(r.date)}`);
  if (Array.isArray(r.values)) parts.push(r.values.map((v) => KIND_FR[String(v)] ?? String(v)).join(", "));
  if (r.radius_km) parts.push(`dans ${String(r.radius_km)} km`);
  return parts.join(" et ") || "souhaité";
}

/** One bar per criterion: how well it is met (width = score), its weight and contribution. */
export function criteriaBars(criteria: CriterionResult[]): HTMLElement {
  return h(
    "table",
    { class: "criteria" },
    h("caption", { class: "sr-only" }, "Détail du score par critère"),
    h("thead", null, h("tr", null, h("th", { scope: "col" }, "Critère"), h("th", { scope: "col" }, "Valeur / exigence"), h("th", { scope: "col" }, "Score"))),
    h(
      "tbody",
      null,
      criteria.map((c) => {
        const pct = c.score === null ? 0 : Math.round(c.score * 100);
        return h(
          "tr",
          { class: `crit crit-${c.status}`, "data-criterion": c.criterion },
          h("th", { scope: "row", title: c.label }, criterionLabel(c.criterion), c.must ? h("span", { class: "tag tag-must", title: "Contrainte impérative" }, "impératif") : null, h("small", { class: "weight" }, ` poids ${num(c.weight, 1)}`)),
          h("td", { title: c.reason ?? "" }, showValue(c.value, c.unit), h("small", null, ` (exigé : ${showRequirement(c.requirement, c.unit)})`)),
          h(
            "td",
            { class: "bar-cell" },
            h("div", { class: "bar", role: "img", "aria-label": `${STATUS_LABEL[c.status] ?? c.status}, score ${pct} %` }, h("span", { style: { width: `${pct}%` } })),
            h("small", null, `${STATUS_LABEL[c.status] ?? c.status} · +${num(c.contribution, 1)} pt`),
          ),
        );
      }),
    ),
  );
}

/** The hard constraints a site fails, said in French from its criterion's value and requirement. */
export function failedList(failed: { criterion: string; reason: string }[], criteria: CriterionResult[] = []): HTMLElement | null {
  if (!failed?.length) return null;
  const text = (f: { criterion: string; reason: string }) => {
    const c = criteria.find((x) => x.criterion === f.criterion);
    if (!c) return f.reason;
    const value = c.status === "unknown" ? "valeur inconnue pour ce site" : showValue(c.value, c.unit);
    return `${value} — exigé : ${showRequirement(c.requirement, c.unit)}`;
  };
  return h(
    "div",
    { class: "failed" },
    h("h4", null, "Contraintes impératives non respectées"),
    h("ul", null, failed.map((f) => h("li", { title: f.reason, "data-criterion": f.criterion }, h("strong", null, criterionLabel(f.criterion)), " : ", text(f)))),
  );
}

/** The remaining procedures on a month axis; the critical path is highlighted. */
export function permitsTimeline(t: TimeToPermits | null): HTMLElement {
  if (!t) return h("p", { class: "muted" }, "Délai des autorisations : inconnu.");
  const rows = [...t.remaining, ...t.works_delays.map((w) => ({ ...w, works: true }))] as (Scheduled & { works?: boolean })[];
  const scale = Math.max(1, t.months.max, ...rows.map((r) => r.end.max));
  const pct = (m: number) => `${((100 * m) / scale).toFixed(2)}%`;
  const critical = new Set(t.critical_path);
  return h(
    "figure",
    { class: "timeline" },
    h(
      "figcaption",
      null,
      h("strong", null, `Autorisations définitives en ${months(t.months.typical)}`),
      ` (de ${num(t.months.min, 2)} à ${num(t.months.max, 2)} mois)`,
    ),
    rows.length
      ? h(
          "ol",
          null,
          rows.map((r) =>
            h(
              "li",
              { class: `tl-row${critical.has(r.code) ? " critical" : ""}${r.works ? " works" : ""}`, "data-code": r.code },
              h("span", { class: "tl-label", title: PROCEDURES_FR[r.code] ?? r.name }, h("b", null, r.code), " ", PROCEDURES_FR[r.code] ?? r.name),
              h(
                "span",
                { class: "tl-track", role: "img", "aria-label": `${r.code} : du mois ${num(r.start.typical, 1)} au mois ${num(r.end.typical, 1)}${critical.has(r.code) ? ", chemin critique" : ""}${r.works ? ", retarde les travaux" : ""}` },
                h("span", { class: "tl-range", style: { left: pct(r.end.min), width: pct(Math.max(0, r.end.max - r.end.min)) } }),
                h("span", { class: "tl-bar", style: { left: pct(r.start.typical), width: pct(Math.max(0.15, r.end.typical - r.start.typical)) } }),
              ),
            ),
          ),
        )
      : h("p", null, "Aucune procédure restante."),
    h("p", { class: "legend" }, h("span", { class: "key key-critical" }), " chemin critique ", h("span", { class: "key key-normal" }), " autre procédure ", h("span", { class: "key key-works" }), " retarde les travaux (pas les autorisations)"),
  );
}

/** Look a number up under several possible keys, in the object or one of its sub-objects. */
function pick(obj: Record<string, unknown> | null | undefined, ...keys: string[]): number | null {
  if (!obj) return null;
  for (const k of keys) if (typeof obj[k] === "number") return obj[k] as number;
  for (const v of Object.values(obj)) {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      for (const k of keys) if (typeof (v as Record<string, unknown>)[k] === "number") return (v as Record<string, unknown>)[k] as number;
    }
  }
  return null;
}

/**
 * The ZAN gauge: the host territory's envelope 2021–2030 (allowed), what it consumed since
 * 2021, and this site's NAF take on top. Reads the match answer's ``zan`` or the document of
 * GET /api/v1/territories/{code}/zan (same names: allowed_ha, consumed_since_ha, remaining_ha).
 */
export function zanGauge(zan: Record<string, unknown> | null): HTMLElement {
  if (!zan) return h("p", { class: "muted" }, "ZAN : pas de données.");
  // The match answer gives the host EPCI's and commune's envelopes in m² under ``host``.
  const host = (zan.host ?? null) as Record<string, Record<string, unknown> | null> | null;
  const env = host
    ? [host.epci, host.commune].find((e) => e && e.data_available === true) ?? null
    : null;
  const territory = (env ?? zan.territory ?? null) as Record<string, unknown> | null;
  const name = territory ? String(territory.nom ?? territory.name ?? territory.code ?? "") : "";
  const ha = (key: string) => {
    const v = env ? env[key] : null;
    return typeof v === "number" ? v / 10_000 : null;
  };
  let take = pick(zan, "naf_new_ha", "naf_take_ha", "site_naf_ha", "naf_take");
  if (take === null) {
    const m2 = pick(zan, "naf_new_m2");
    take = m2 === null ? null : m2 / 10_000;
  }
  const sobriety = pick(zan, "sobriety_score");
  const allowed = env ? ha("allowed_m2") : pick(zan, "allowed_ha");
  const consumed = env ? ha("consumed_since_m2") : pick(zan, "consumed_since_ha", "consumed_ha");
  const remaining = env ? ha("remaining_m2") : pick(zan, "remaining_ha");
  const siteShare = env ? env.site_share_of_remaining : null;
  const share =
    typeof siteShare === "number"
      ? 100 * siteShare
      : pick(zan, "share_of_remaining_percent", "share_percent", "remaining_share_percent");
  const exceeded = (zan.projection as Record<string, unknown> | null)?.exceeded_in;
  const parts: HTMLElement[] = [];
  if (take !== null || sobriety !== null) {
    parts.push(
      h(
        "p",
        null,
        "Espaces naturels, agricoles et forestiers consommés par ce site : ",
        h("strong", { "data-zan": "take" }, take === null ? "inconnu" : `${num(take, 2)} ha`),
        sobriety === null ? null : [" · sobriété foncière ", h("strong", null, `${num(sobriety, 0)}/100`)],
      ),
    );
  }
  if (allowed !== null && consumed !== null) {
    const t = take ?? 0;
    const scale = Math.max(allowed, consumed + t, 0.0001);
    const w = (v: number) => `${((100 * Math.max(0, v)) / scale).toFixed(2)}%`;
    const over = consumed + t > allowed;
    const pct = share ?? (t && remaining && remaining > 0 ? (100 * t) / remaining : null);
    parts.push(
      h(
        "div",
        { class: `gauge${over ? " over" : ""}`, role: "img", "aria-label": `Enveloppe ${num(allowed, 1)} ha, consommé ${num(consumed, 1)} ha, ce site ${num(t, 2)} ha` },
        h("span", { class: "g-consumed", style: { width: w(consumed) } }),
        h("span", { class: "g-site", style: { width: w(t) } }),
      ),
      h(
        "p",
        { class: "legend" },
        name ? h("strong", null, `${name} — `) : null,
        `enveloppe 2021–2030 : ${num(allowed, 1)} ha · consommé depuis 2021 : ${num(consumed, 1)} ha`,
        remaining !== null ? ` · reste : ${num(remaining, 1)} ha` : "",
        pct !== null ? ` · ce site en prendrait ${num(pct, 1)} %` : "",
        exceeded ? ` · au rythme actuel, enveloppe dépassée en ${String(exceeded)}` : "",
      ),
      h("p", { class: "legend" }, h("span", { class: "key g-consumed" }), " consommé ", h("span", { class: "key g-site" }), " ce site ", h("span", { class: "key g-free" }), " reste disponible"),
    );
  } else {
    parts.push(h("p", { class: "muted" }, `Enveloppe ZAN${name ? ` de ${name}` : " du territoire"} : pas de données de consommation chargées.`));
  }
  return h("div", { class: "zan" }, parts);
}

/** ADEME Mutafriches: the industry index, its potential and rank, and its reliability. */
export function mutabilityBox(m: Record<string, unknown> | null): HTMLElement {
  if (!m) return h("p", { class: "muted" }, "Mutabilité (ADEME Mutafriches) : non calculée.");
  let indice = typeof m.indice === "number" ? m.indice : null;
  let potentiel: unknown = m.potentiel;
  let rang: unknown = m.rang;
  const usages = Array.isArray(m.usages) ? (m.usages as Record<string, unknown>[]) : [];
  const industry = usages.find((u) => String(u.usage ?? "").toLowerCase().startsWith("indus"));
  if (industry) {
    indice = typeof industry.indice === "number" ? industry.indice : indice;
    potentiel = industry.potentiel;
    rang = industry.rang;
  }
  const rel = (m.fiabilite ?? m.reliability) as Record<string, unknown> | number | null;
  let relText = "";
  let known = "";
  if (typeof rel === "number") relText = `${num(rel, 1)}/10`;
  else if (rel && typeof rel === "object") {
    const note = typeof rel.note === "number" ? `${num(rel.note, 1)}/10` : "";
    relText = [note, rel.text ?? rel.texte ?? ""].filter(Boolean).join(" — ");
    if (typeof rel.criteresRenseignes === "number" && typeof rel.criteresTotal === "number") {
      known = `${rel.criteresRenseignes} critères renseignés sur ${rel.criteresTotal}`;
    }
  }
  return h(
    "div",
    { class: "mutability" },
    h(
      "p",
      null,
      "Mutabilité pour l'industrie (ADEME Mutafriches",
      m.version ? ` ${String(m.version)}` : "",
      ") : ",
      h("strong", { "data-mutability": "indice" }, indice === null ? "inconnue" : `${num(indice, 0)}/100`),
      potentiel ? ` (${String(potentiel)}${rang ? `, rang ${String(rang)} sur ${usages.length || 7} usages` : ""})` : "",
    ),
    relText ? h("p", { class: "legend" }, "Fiabilité : ", h("strong", null, relText), known ? ` · ${known}` : "") : null,
  );
}
