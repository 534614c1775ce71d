// Site page: geometry and parcels on the map, attributes, dossier checklist, polluted sites
// nearby, history; staff (with a key) edit the attributes and the dossier here.
import { ApiError, call, clearErrors, get, getKey, showErrors } from "../api";
import type { Ctx } from "../context";
import { ICPE, KIND_LABEL } from "../criteria";
import { date, h, ha, id, notice, num, render, spinner, type Child } from "../dom";
import { ACTIONS_FR, FIELD_GROUPS, PROCEDURES_FR, PROC_STATUS } from "../labels";
import { enumOf } from "../schema";
import { mutabilityBox, permitsTimeline, type TimeToPermits } from "../widgets";

interface Feature {
  type: "Feature";
  id: string;
  geometry: GeoJSON.Geometry;
  properties: Record<string, unknown>;
}
interface Procedure {
  code: string;
  name: string;
  status: string | null;
  started_on: string | null;
  completed_on: string | null;
  valid_until: string | null;
  document_ref: string | null;
  document_url: string | null;
  notes: string | null;
  updated_at: string | null;
}
interface Change {
  at: string;
  action: string;
  version: number;
  actor: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}
interface Polluted {
  register: string;
  register_id: string;
  nom: string | null;
  statut?: string | null;
  url?: string | null;
  distance_m: number;
  lon?: number;
  lat?: number;
}

export function siteView(ctx: Ctx, siteId: string): void {
  const abort = new AbortController();
  ctx.cleanup.push(() => abort.abort());
  render(ctx.panel, spinner("Chargement de la fiche…"));
  void load(ctx, siteId, abort.signal);
}

async function load(ctx: Ctx, siteId: string, signal: AbortSignal): Promise<void> {
  const path = `/api/v1/sites/${encodeURIComponent(siteId)}`;
  let feature: Feature;
  let etag: string | null;
  try {
    const r = await call<Feature>(path, { accept: "application/geo+json", signal });
    feature = r.data;
    etag = r.response.headers.get("ETag");
  } catch (e) {
    if ((e as Error).name === "AbortError") return;
    render(ctx.panel, h("p", null, h("a", { href: "/", "data-link": "" }, "← Recherche")), notice(e instanceof ApiError && e.status === 404 ? `Aucun site ${siteId} (ou il ne vous est pas visible).` : `Impossible de charger le site : ${(e as Error).message}`, "error"));
    return;
  }
  const p = feature.properties;
  document.title = `${String(p.site_nom ?? siteId)} — Foncier`;
  await ctx.map.ready;
  ctx.map.setData("focus", { type: "FeatureCollection", features: [feature as GeoJSON.Feature] });
  ctx.map.fit(feature.geometry, 17);

  const sections = {
    dossier: h("section", { class: "card", id: "dossier", "aria-labelledby": "h-dossier" }, h("h2", { id: "h-dossier" }, "Dossier : études et procédures"), spinner()),
    permits: h("section", { class: "card", id: "permits", "aria-labelledby": "h-permits" }, h("h2", { id: "h-permits" }, "Délai des autorisations"), spinner()),
    pollution: h("section", { class: "card", id: "pollution", "aria-labelledby": "h-pollution" }, h("h2", { id: "h-pollution" }, "Sites pollués à moins de 500 m"), spinner()),
    history: h("section", { class: "card", id: "history", "aria-labelledby": "h-history" }, h("h2", { id: "h-history" }, "Historique des modifications"), spinner()),
  };
  const staff = Boolean(getKey());
  const editBox = h("div", { id: "edit-box" });
  render(
    ctx.panel,
    h("p", { class: "crumbs" }, h("a", { href: "/", "data-link": "", onclick: (e: Event) => { if (history.length > 1 && document.referrer.startsWith(location.origin)) { e.preventDefault(); history.back(); } } }, "← Retour")),
    h(
      "header",
      { class: "site-head" },
      h("h1", { id: "site-title" }, String(p.site_nom ?? siteId)),
      h("p", { class: "meta" }, `${KIND_LABEL[String(p.kind)] ?? String(p.kind)} · ${String(p.comm_nom ?? "")} (${String(p.comm_insee ?? "")}) · ${ha(p.area_m2)}`, p.published === false ? h("span", { class: "tag" }, "brouillon") : null),
      staff ? h("button", { type: "button", class: "btn", onclick: () => editForm(editBox, path, feature, etag, (f, t) => { feature = f; etag = t; ctx.navigate(location.pathname); }) }, "Modifier la fiche") : null,
    ),
    editBox,
    p.mutability ? mutabilityBox(p.mutability as Record<string, unknown>) : null,
    attributes(p),
    sections.dossier,
    sections.permits,
    sections.pollution,
    sections.history,
  );

  const refs = String(p.unite_fonciere_refcad ?? "").split("|").map((s) => s.trim()).filter(Boolean);
  void loadParcels(ctx, refs.slice(0, 60), signal);
  void get<Procedure[]>(`${path}/procedures`, { signal }).then(
    (procs) => render(sections.dossier, h("h2", { id: "h-dossier" }, "Dossier : études et procédures"), dossier(procs, staff ? path : null, () => ctx.navigate(location.pathname))),
    (e) => render(sections.dossier, h("h2", null, "Dossier"), notice(String((e as Error).message), "error")),
  );
  void permits(sections.permits, path, signal);
  void get<Polluted[]>(`${path}/polluted-sites`, { signal }).then(
    (rows) => {
      render(sections.pollution, h("h2", { id: "h-pollution" }, "Sites pollués à moins de 500 m"), pollution(rows));
      const pts = rows.filter((r) => r.lon !== undefined && r.lat !== undefined);
      ctx.map.setData("point", { type: "FeatureCollection", features: pts.map((r) => ({ type: "Feature", properties: { nom: r.nom }, geometry: { type: "Point", coordinates: [r.lon!, r.lat!] } })) });
    },
    (e) => render(sections.pollution, h("h2", null, "Sites pollués"), notice(String((e as Error).message), "error")),
  );
  void get<Change[]>(`${path}/history`, { signal }).then(
    (rows) => render(sections.history, h("h2", { id: "h-history" }, "Historique des modifications"), historyList(rows)),
    (e) => render(sections.history, h("h2", null, "Historique"), notice(String((e as Error).message), "error")),
  );
}

async function loadParcels(ctx: Ctx, idus: string[], signal: AbortSignal): Promise<void> {
  const features = await Promise.all(
    idus.map((i) => get<GeoJSON.Feature>(`/api/v1/parcels/${encodeURIComponent(i)}`, { signal, accept: "application/geo+json" }).catch(() => null)),
  );
  ctx.map.setData("focus-parcels", { type: "FeatureCollection", features: features.filter(Boolean) as GeoJSON.Feature[] });
}

function show(key: string, v: unknown): Child {
  if (v === null || v === undefined || v === "") return null;
  if (key === "area_m2") return `${ha(v)} (${num(v, 0)} m²)`;
  if (key === "kind") return KIND_LABEL[String(v)] ?? String(v);
  if (typeof v === "boolean") return v ? "oui" : "non";
  if (key.endsWith("_date") || key === "available_from") return date(v);
  if (key === "unite_fonciere_refcad") return String(v).split("|").join(", ");
  if (key === "source_url" || key === "site_url") return h("a", { href: String(v).split("|")[0], rel: "noopener", target: "_blank" }, String(v).split("|")[0]);
  if (typeof v === "number") return num(v, 2);
  return String(v);
}

function attributes(p: Record<string, unknown>): HTMLElement {
  return h(
    "section",
    { class: "card attributes", "aria-labelledby": "h-attr" },
    h("h2", { id: "h-attr" }, "Caractéristiques"),
    FIELD_GROUPS.map(([group, fields]) => {
      const rows = fields.map(([k, label]) => [label, show(k, p[k]), k] as const).filter(([, v]) => v !== null);
      if (!rows.length) return null;
      return h("div", { class: "attr-group" }, h("h3", null, group), h("dl", null, rows.map(([label, v, k]) => [h("dt", null, label), h("dd", { "data-prop": k }, v)])));
    }),
  );
}

const STATUS_ICON: Record<string, string> = { done: "✔", in_progress: "…", todo: "✗", not_needed: "—" };

function dossier(procs: Procedure[], editPath: string | null, reload: () => void): HTMLElement {
  return h(
    "ul",
    { class: "checklist" },
    procs.map((pr) => {
      const st = pr.status ?? "unknown";
      const dates = [
        pr.started_on ? `commencé le ${date(pr.started_on)}` : "",
        pr.completed_on ? `achevé le ${date(pr.completed_on)}` : "",
        pr.valid_until ? `valable jusqu'au ${date(pr.valid_until)}` : "",
      ].filter(Boolean);
      return h(
        "li",
        { class: `proc proc-${st}`, "data-code": pr.code },
        h("span", { class: "proc-icon", "aria-hidden": "true" }, STATUS_ICON[st] ?? "?"),
        h(
          "div",
          { class: "proc-body" },
          h("div", null, h("b", null, pr.code), " ", PROCEDURES_FR[pr.code] ?? pr.name, " — ", h("span", { class: "proc-status" }, pr.status ? PROC_STATUS[pr.status] ?? pr.status : "non renseigné")),
          dates.length ? h("div", { class: "muted" }, dates.join(" · ")) : null,
          pr.document_ref || pr.document_url ? h("div", null, "Document : ", pr.document_url ? h("a", { href: pr.document_url, rel: "noopener", target: "_blank" }, pr.document_ref ?? pr.document_url) : pr.document_ref) : null,
          pr.notes ? h("div", { class: "muted" }, pr.notes) : null,
          editPath ? procedureForm(editPath, pr, reload) : null,
        ),
      );
    }),
  );
}

function procedureForm(path: string, pr: Procedure, reload: () => void): HTMLElement {
  const ids = { status: id("st"), started_on: id("so"), completed_on: id("co"), valid_until: id("vu"), document_ref: id("dr"), document_url: id("du") };
  const form = h(
    "form",
    { class: "proc-form", novalidate: true },
    h("div", { class: "field", "data-field": "status" }, h("label", { for: ids.status }, "État"), h("select", { id: ids.status, name: "status" }, Object.entries(PROC_STATUS).map(([v, l]) => h("option", { value: v, selected: pr.status === v }, l)))),
    (["started_on", "completed_on", "valid_until"] as const).map((k) =>
      h("div", { class: "field", "data-field": k }, h("label", { for: ids[k] }, { started_on: "Commencé le", completed_on: "Achevé le", valid_until: "Valable jusqu'au" }[k]), h("input", { type: "date", id: ids[k], name: k, value: pr[k] ?? "" })),
    ),
    h("div", { class: "field", "data-field": "document_ref" }, h("label", { for: ids.document_ref }, "Référence du document"), h("input", { type: "text", id: ids.document_ref, name: "document_ref", value: pr.document_ref ?? "" })),
    h("div", { class: "field", "data-field": "document_url" }, h("label", { for: ids.document_url }, "Lien du document"), h("input", { type: "url", id: ids.document_url, name: "document_url", value: pr.document_url ?? "" })),
    h("button", { type: "submit", class: "btn" }, "Enregistrer"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    const body: Record<string, string> = {};
    for (const [k, v] of fd.entries()) if (String(v) !== "") body[k] = String(v);
    const btn = form.querySelector("button")!;
    btn.disabled = true;
    try {
      await call(`${path}/procedures/${pr.code}`, { method: "PUT", body });
      reload();
    } catch (err) {
      showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });
  return h("details", { class: "proc-edit" }, h("summary", null, "Mettre à jour"), form);
}

async function permits(box: HTMLElement, path: string, signal: AbortSignal): Promise<void> {
  const sel = h("select", { id: id("icpe") }, ICPE.map(([v, l]) => h("option", { value: v }, l)));
  const out = h("div", null, spinner());
  const refresh = async () => {
    render(out, spinner());
    try {
      const q = sel.value ? `?icpe=${sel.value}` : "";
      const t = await get<TimeToPermits>(`${path}/time-to-permits${q}`, { signal });
      render(out, permitsTimeline(t), t.assumptions?.length ? h("ul", { class: "muted small" }, t.assumptions.map((a) => h("li", null, a))) : null);
    } catch (e) {
      if ((e as Error).name !== "AbortError") render(out, notice(String((e as Error).message), "error"));
    }
  };
  sel.addEventListener("change", () => void refresh());
  render(box, h("h2", { id: "h-permits" }, "Délai des autorisations"), h("div", { class: "field inline" }, h("label", { for: sel.id }, "Régime ICPE du projet"), sel), out);
  await refresh();
}

function pollution(rows: Polluted[]): HTMLElement {
  if (!rows.length) return h("p", null, "Aucun site des registres BASOL / ADEME à moins de 500 m.");
  return h(
    "ul",
    { class: "plain" },
    rows.map((r) =>
      h("li", null, h("strong", null, r.nom ?? r.register_id), ` — ${num(r.distance_m, 0)} m`, h("span", { class: "muted" }, ` (${r.register.toUpperCase()}${r.statut ? `, ${r.statut}` : ""})`), r.url ? [" ", h("a", { href: r.url, rel: "noopener", target: "_blank" }, "fiche")] : null),
    ),
  );
}

function historyList(rows: Change[]): HTMLElement {
  if (!rows.length) return h("p", null, "Aucune modification.");
  return h(
    "ol",
    { class: "history", reversed: true },
    [...rows].reverse().map((c) => {
      const keys = c.before && c.after ? Object.keys(c.after).filter((k) => JSON.stringify(c.after![k]) !== JSON.stringify(c.before![k]) && k !== "version" && k !== "updated_at") : [];
      return h(
        "li",
        null,
        h("strong", null, ACTIONS_FR[c.action] ?? c.action),
        ` — ${date(c.at)} — version ${c.version}`,
        c.actor ? h("span", { class: "muted" }, ` par ${c.actor}`) : null,
        keys.length
          ? h("ul", { class: "changes" }, keys.slice(0, 20).map((k) => h("li", null, h("code", null, k), " : ", short(c.before![k]), " → ", short(c.after![k]))))
          : null,
      );
    }),
  );
}

function short(v: unknown): string {
  if (v === null || v === undefined) return "∅";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

// --- editing (staff) ------------------------------------------------------------------------

const EDITABLE: [string, string, "text" | "number" | "date" | "enum" | "ouinon" | "bool"][] = [
  ["site_nom", "Nom", "text"],
  ["kind", "Type", "enum"],
  ["site_statut", "Statut", "enum"],
  ["site_adresse", "Adresse", "text"],
  ["published", "Publié (visible du public)", "bool"],
  ["available_from", "Disponible à partir du", "date"],
  ["terr_m2_prix", "Prix (€/m²)", "number"],
  ["power_mw", "Puissance électrique (MW)", "number"],
  ["water_m3_day", "Eau (m³/jour)", "number"],
  ["reseau_gaz", "Gaz", "ouinon"],
  ["reseau_electrique", "Électricité", "ouinon"],
  ["reseau_fret_ferroviaire", "Embranchement ferroviaire", "ouinon"],
  ["autoroute_echang_dist", "Échangeur autoroutier (km)", "number"],
  ["gare_fret_dist", "Gare de fret (km)", "number"],
  ["port_dist", "Port (km)", "number"],
  ["bati_surface", "Surface bâtie (m²)", "number"],
];

async function editForm(box: HTMLElement, path: string, feature: Feature, etag: string | null, done: (f: Feature, etag: string | null) => void): Promise<void> {
  if (box.firstChild) {
    render(box);
    return;
  }
  const p = feature.properties;
  const inputs: Record<string, HTMLInputElement | HTMLSelectElement> = {};
  const rows: HTMLElement[] = [];
  for (const [key, label, type] of EDITABLE) {
    const iid = id(key);
    let input: HTMLInputElement | HTMLSelectElement;
    if (type === "enum" || type === "ouinon") {
      const values = type === "ouinon" ? ["oui", "non"] : key === "kind" ? Object.keys(KIND_LABEL) : await enumOf(key);
      input = h("select", { id: iid, name: key }, h("option", { value: "" }, "—"), values.map((v) => h("option", { value: v, selected: p[key] === v }, key === "kind" ? KIND_LABEL[v] : v)));
    } else if (type === "bool") {
      input = h("input", { type: "checkbox", id: iid, name: key, checked: p[key] === true });
    } else {
      input = h("input", { type, id: iid, name: key, step: type === "number" ? "any" : undefined, value: p[key] === null || p[key] === undefined ? "" : String(p[key]) });
    }
    inputs[key] = input;
    rows.push(h("div", { class: `field${type === "bool" ? " check" : ""}`, "data-field": `properties.${key}` }, type === "bool" ? [input, h("label", { for: iid }, label)] : [h("label", { for: iid }, label), input]));
  }
  const form = h("form", { class: "edit-form card", novalidate: true, "aria-label": "Modifier la fiche" }, h("h2", null, "Modifier la fiche"), h("div", { class: "grid2" }, rows), h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "Enregistrer"), h("button", { type: "button", class: "btn-link", onclick: () => render(box) }, "Annuler")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const patch: Record<string, unknown> = {};
    for (const [key, , type] of EDITABLE) {
      const input = inputs[key];
      let v: unknown;
      if (type === "bool") v = (input as HTMLInputElement).checked;
      else if (input.value === "") v = null;
      else v = type === "number" ? Number(input.value) : input.value;
      const old = p[key] ?? null;
      if (JSON.stringify(v) !== JSON.stringify(old) && !(type === "bool" && old === null && v === false)) patch[key] = v;
    }
    if (!Object.keys(patch).length) {
      render(box);
      return;
    }
    const btn = form.querySelector("button[type=submit]") as HTMLButtonElement;
    btn.disabled = true;
    try {
      const r = await call<Feature>(path, {
        method: "PATCH",
        body: { properties: patch },
        headers: { "Content-Type": "application/merge-patch+json", ...(etag ? { "If-Match": etag } : {}) },
        accept: "application/geo+json",
      });
      done(r.data, r.response.headers.get("ETag"));
    } catch (err) {
      showErrors(form, err);
      if (err instanceof ApiError && err.status === 412) {
        form.prepend(h("button", { type: "button", class: "btn", onclick: () => location.reload() }, "Recharger la fiche"));
      }
    } finally {
      btn.disabled = false;
    }
  });
  render(box, form);
  (form.querySelector("input, select") as HTMLElement | null)?.focus();
}

