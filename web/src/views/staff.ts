// Staff view: the API key (sessionStorage), a site from cadastre parcels clicked on the map
// (union drawn live, area in ha), file upload with its row-by-row report, the quarantine.
import { union } from "polyclip-ts";
import type { Geom } from "polyclip-ts";
import { ApiError, call, clearErrors, get, getKey, setKey, showErrors } from "../api";
import type { Ctx } from "../context";
import { KINDS } from "../criteria";
import { date, h, ha, id, notice, num, render, spinner } from "../dom";
import { enumOf } from "../schema";

interface Parcel {
  idu: string;
  area_m2: number;
  geometry: GeoJSON.Polygon | GeoJSON.MultiPolygon;
}
interface ImportBatch {
  id: number;
  kind: string;
  source_name: string;
  status: string;
  created_at: string;
  finished_at: string | null;
  report: Report | null;
  error: string | null;
}
interface Report {
  rows: number;
  imported: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  warnings?: number;
  errors?: { row: number; site_id: string | null; field: string; reason: string }[];
  deviations?: { level: string; field: string; kind: string; rows: number; example: string }[];
  [k: string]: unknown;
}
interface QuarantineRow {
  id: number;
  batch_id: number;
  row_number: number;
  site_id: string | null;
  payload: Record<string, unknown>;
  errors: { field: string; reason: string }[];
  created_at: string;
}

export function staffView(ctx: Ctx): void {
  const keyBox = h("section", { class: "card", id: "key-box", "aria-labelledby": "h-key" });
  const work = h("div", { id: "staff-work" });
  render(ctx.panel, h("h1", null, "Espace territoire"), keyBox, work);
  const refresh = () => {
    renderKey(keyBox, refresh);
    render(work);
    if (getKey()) {
      work.append(createSection(ctx), uploadSection(), quarantineSection(ctx));
    }
  };
  refresh();
  // Picking parcels means clicking in quick succession: no double-click zoom meanwhile.
  ctx.map.map.doubleClickZoom.disable();
  ctx.cleanup.push(() => {
    ctx.map.onParcel = null;
    ctx.map.map.doubleClickZoom.enable();
  });
}

function renderKey(box: HTMLElement, refresh: () => void): void {
  const key = getKey();
  if (key) {
    render(
      box,
      h("h2", { id: "h-key" }, "Clé d'API"),
      h("p", null, "Connecté avec la clé ", h("code", null, `${key.slice(0, 8)}…`), " (gardée dans cet onglet seulement)."),
      h("button", { type: "button", class: "btn-link", onclick: () => { setKey(null); refresh(); } }, "Se déconnecter"),
    );
    return;
  }
  const input = h("input", { type: "password", id: "api-key", name: "key", autocomplete: "off", required: true, spellcheck: false });
  const form = h(
    "form",
    { id: "key-form", novalidate: true },
    h("div", { class: "field", "data-field": "key" }, h("label", { for: "api-key" }, "Clé d'API de votre territoire"), input, h("small", { class: "hint" }, "Fournie par l'administrateur (foncier keys create). Elle reste dans cet onglet.")),
    h("button", { type: "submit", class: "btn btn-primary" }, "Se connecter"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const value = input.value.trim();
    if (!value) return;
    setKey(value);
    try {
      // Staff and admins may list their imports: a cheap check of the key and its role.
      await get("/api/v1/imports");
      refresh();
    } catch (err) {
      setKey(null);
      showErrors(form, err instanceof ApiError ? new ApiError(err.status, err.code, err.message, [{ field: "key", reason: err.status === 403 ? "cette clé ne permet pas d'écrire (rôle investisseur)" : "clé refusée" }]) : err);
    }
  });
  render(box, h("h2", { id: "h-key" }, "Clé d'API"), form);
}

// --- a site from cadastre parcels -------------------------------------------------------------

function createSection(ctx: Ctx): HTMLElement {
  const selected = new Map<string, Parcel>();
  const list = h("ul", { class: "parcel-list", "aria-live": "polite" });
  const total = h("p", { class: "total", id: "selection-area", "aria-live": "polite" });
  const selBox = h("div", { "data-field": "parcels" }, h("h3", null, "Parcelles choisies"), total, list);
  const commune = h("input", { type: "text", id: "goto-commune", inputmode: "numeric", pattern: "[0-9AB]{5}", placeholder: "91216", size: 6 });
  const gotoForm = h(
    "form",
    { class: "inline-form", novalidate: true, onsubmit: async (e: Event) => {
      e.preventDefault();
      clearErrors(gotoForm);
      try {
        const fc = await get<GeoJSON.FeatureCollection>(`/api/v1/parcels?commune=${encodeURIComponent(commune.value.trim())}&limit=1`, { accept: "application/geo+json" });
        if (!fc.features.length) throw new ApiError(404, "not_found", "aucune parcelle chargée pour cette commune", [{ field: "commune", reason: "aucune parcelle chargée pour cette commune" }]);
        ctx.map.fit(fc.features[0].geometry, 16);
      } catch (err) {
        showErrors(gotoForm, err);
      }
    } },
    h("div", { class: "field inline", "data-field": "commune" }, h("label", { for: "goto-commune" }, "Aller à la commune (INSEE)"), commune),
    h("button", { type: "submit", class: "btn" }, "Y aller"),
  );

  const update = () => {
    const parcels = [...selected.values()];
    const area = parcels.reduce((s, p) => s + (p.area_m2 || 0), 0);
    render(total, parcels.length ? [h("strong", { "data-area-m2": area.toFixed(0) }, ha(area)), ` — ${parcels.length} parcelle${parcels.length > 1 ? "s" : ""}`] : "Aucune parcelle : cliquez sur la carte.");
    render(
      list,
      parcels.map((p) =>
        h("li", { "data-idu": p.idu }, h("code", null, p.idu), ` ${num(p.area_m2, 0)} m² `, h("button", { type: "button", class: "btn-link", "aria-label": `Retirer ${p.idu}`, onclick: () => { selected.delete(p.idu); update(); } }, "retirer")),
      ),
    );
    ctx.map.setData("selection", { type: "FeatureCollection", features: parcels.map((p) => ({ type: "Feature", properties: { idu: p.idu }, geometry: p.geometry })) });
    let merged: GeoJSON.MultiPolygon | null = null;
    if (parcels.length) {
      try {
        const geoms = parcels.map((p) => (p.geometry.type === "Polygon" ? [p.geometry.coordinates] : p.geometry.coordinates) as Geom);
        merged = { type: "MultiPolygon", coordinates: union(geoms[0], ...geoms.slice(1)) as GeoJSON.Position[][][] };
      } catch {
        merged = null;
      }
    }
    ctx.map.setData("union", { type: "FeatureCollection", features: merged ? [{ type: "Feature", properties: { parts: merged.coordinates.length }, geometry: merged }] : [] });
    total.dataset.parts = merged ? String(merged.coordinates.length) : "0";
  };
  ctx.map.onParcel = async (idu) => {
    if (selected.has(idu)) {
      selected.delete(idu);
      update();
      return;
    }
    try {
      const f = await get<GeoJSON.Feature>(`/api/v1/parcels/${encodeURIComponent(idu)}`, { accept: "application/geo+json" });
      selected.set(idu, { idu, area_m2: Number(f.properties?.area_m2 ?? f.properties?.contenance ?? 0), geometry: f.geometry as GeoJSON.MultiPolygon });
      update();
    } catch (err) {
      showErrors(selBox, err);
    }
  };
  update();

  const name = h("input", { type: "text", id: "new-name", name: "site_nom", required: true });
  const kind = h("select", { id: "new-kind", name: "kind" }, KINDS.map(([v, l]) => h("option", { value: v }, l)));
  const siteType = h("select", { id: "new-site-type", name: "site_type" }, h("option", { value: "" }, "—"));
  void enumOf("site_type").then((vals) => siteType.append(...vals.map((v) => h("option", { value: v }, v))));
  const published = h("input", { type: "checkbox", id: "new-published", name: "published", checked: true });
  const outcome = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { id: "create-form", novalidate: true },
    h("div", { class: "field", "data-field": "properties.site_nom" }, h("label", { for: "new-name" }, "Nom du site"), name),
    h("div", { class: "field", "data-field": "properties.kind" }, h("label", { for: "new-kind" }, "Type"), kind),
    h("div", { class: "field", "data-field": "properties.site_type" }, h("label", { for: "new-site-type" }, "Type de friche (pour une friche)"), siteType),
    h("div", { class: "field check", "data-field": "properties.published" }, published, h("label", { for: "new-published" }, "Publier (visible des investisseurs)")),
    h("button", { type: "submit", class: "btn btn-primary" }, "Créer le site"),
  );
  const section = h(
    "section",
    { class: "card", id: "create-box", "aria-labelledby": "h-create" },
    h("h2", { id: "h-create" }, "Créer un site à partir du cadastre"),
    h("p", { class: "hint" }, "Zoomez jusqu'aux parcelles (elles apparaissent à partir du zoom 15) et cliquez pour les ajouter ou les retirer. Le contour réuni et la surface se mettent à jour."),
    gotoForm,
    selBox,
    form,
    outcome,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(section);
    render(outcome);
    const properties: Record<string, unknown> = { site_nom: name.value.trim() || null, kind: kind.value, published: published.checked };
    if (siteType.value) properties.site_type = siteType.value;
    const btn = form.querySelector("button[type=submit]") as HTMLButtonElement;
    btn.disabled = true;
    render(outcome, spinner("Création du site…"));
    try {
      const r = await call<{ id: string; properties: Record<string, unknown> }>("/api/v1/sites/from-parcels", {
        method: "POST",
        body: { parcels: [...selected.keys()], properties },
        accept: "application/geo+json",
      });
      const sid = r.data.id;
      render(
        outcome,
        h("p", { class: "notice notice-ok", role: "status", "data-created": sid }, "Site créé : ", h("a", { href: `/sites/${encodeURIComponent(sid)}`, "data-link": "" }, `${String(r.data.properties.site_nom)} (${sid})`), ` — ${ha(r.data.properties.area_m2)}`),
      );
      selected.clear();
      update();
      form.reset();
    } catch (err) {
      render(outcome);
      showErrors(section, err);
    } finally {
      btn.disabled = false;
    }
  });
  return section;
}

// --- uploads ------------------------------------------------------------------------------

function uploadSection(): HTMLElement {
  const file = h("input", { type: "file", id: "upload-file", name: "file", accept: ".csv,.geojson,.json,.gpkg,.gz", required: true });
  const kind = h("select", { id: "upload-kind", name: "kind" }, h("option", { value: "" }, "détecter"), h("option", { value: "friches" }, "CNIG Friches (CSV, GeoJSON)"), h("option", { value: "sites-eco" }, "CNIG Sites économiques (GeoPackage, CSV)"));
  const out = h("div", { id: "upload-report", "aria-live": "polite" });
  const form = h(
    "form",
    { id: "upload-form", novalidate: true },
    h("div", { class: "field", "data-field": "file" }, h("label", { for: "upload-file" }, "Fichier"), file),
    h("div", { class: "field", "data-field": "kind" }, h("label", { for: "upload-kind" }, "Format"), kind),
    h("button", { type: "submit", class: "btn btn-primary" }, "Envoyer"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!file.files?.length) {
      showErrors(form, new ApiError(422, "invalid_input", "Choisissez un fichier.", [{ field: "file", reason: "choisissez un fichier" }]));
      return;
    }
    const fd = new FormData();
    fd.append("file", file.files[0]);
    if (kind.value) fd.append("kind", kind.value);
    const btn = form.querySelector("button[type=submit]") as HTMLButtonElement;
    btn.disabled = true;
    render(out, spinner("Envoi du fichier…"));
    try {
      let batch = (await call<ImportBatch>("/api/v1/imports", { method: "POST", form: fd })).data;
      for (let i = 0; i < 600 && (batch.status === "queued" || batch.status === "running"); i++) {
        render(out, spinner(`Import n° ${batch.id} : ${batch.status === "queued" ? "en attente" : "en cours"}…`));
        await new Promise((r) => setTimeout(r, 700));
        batch = await get<ImportBatch>(`/api/v1/imports/${batch.id}`);
      }
      render(out, report(batch));
      window.dispatchEvent(new Event("foncier:quarantine"));
    } catch (err) {
      render(out);
      showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });
  return h("section", { class: "card", id: "upload-box", "aria-labelledby": "h-upload" }, h("h2", { id: "h-upload" }, "Importer un fichier"), h("p", { class: "hint" }, "CNIG Friches (toutes versions), export Cartofriches, CNIG Sites économiques. Les lignes hors de votre territoire ou invalides vont en quarantaine."), form, out);
}

function report(b: ImportBatch): HTMLElement {
  if (b.status === "failed") return notice(`Import n° ${b.id} (${b.source_name}) en échec : ${b.error ?? "erreur inconnue"}`, "error");
  const r = b.report;
  if (!r) return notice(`Import n° ${b.id} : ${b.status}`, "info");
  const byRow = new Map<number, NonNullable<Report["errors"]>>();
  for (const e of r.errors ?? []) byRow.set(e.row, [...(byRow.get(e.row) ?? []), e]);
  return h(
    "div",
    { class: "report", "data-import-id": b.id },
    h("h3", null, `Rapport de l'import n° ${b.id} — ${b.source_name}`),
    h(
      "dl",
      { class: "counts" },
      [
        ["Lignes", r.rows],
        ["Créées", r.imported],
        ["Mises à jour", r.updated],
        ["Inchangées", r.unchanged],
        ["En quarantaine", r.quarantined],
        ["Avertissements", r.warnings ?? 0],
      ].map(([k, v]) => h("div", null, h("dt", null, String(k)), h("dd", null, num(v, 0)))),
    ),
    byRow.size
      ? h(
          "table",
          { class: "report-rows" },
          h("caption", null, "Lignes refusées, ligne par ligne"),
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "Ligne"), h("th", { scope: "col" }, "site_id"), h("th", { scope: "col" }, "Champ"), h("th", { scope: "col" }, "Raison"))),
          h(
            "tbody",
            null,
            [...byRow.entries()].sort(([a], [b2]) => a - b2).map(([row, errs]) =>
              errs.map((e, i) => h("tr", { "data-row": row }, i === 0 ? h("th", { scope: "row", rowspan: errs.length }, String(row)) : null, i === 0 ? h("td", { rowspan: errs.length }, e.site_id ?? "—") : null, h("td", null, h("code", null, e.field)), h("td", null, e.reason))),
            ),
          ),
        )
      : h("p", null, "Aucune ligne refusée."),
    r.deviations?.length
      ? h(
          "details",
          null,
          h("summary", null, `Écarts au standard (${r.deviations.length})`),
          h("table", { class: "report-rows" }, h("thead", null, h("tr", null, h("th", null, "Niveau"), h("th", null, "Champ"), h("th", null, "Lignes"), h("th", null, "Exemple"))), h("tbody", null, r.deviations.map((d) => h("tr", null, h("td", null, d.level === "error" ? "erreur" : "avertissement"), h("td", null, h("code", null, d.field)), h("td", null, num(d.rows, 0)), h("td", null, d.example))))),
        )
      : null,
  );
}

// --- quarantine ---------------------------------------------------------------------------

function quarantineSection(ctx: Ctx): HTMLElement {
  const body = h("div", null, spinner());
  const section = h("section", { class: "card", id: "quarantine-box", "aria-labelledby": "h-quarantine" }, h("h2", { id: "h-quarantine" }, "Lignes en quarantaine"), h("button", { type: "button", class: "btn-link", onclick: () => void load() }, "Actualiser"), body);
  const load = async () => {
    render(body, spinner());
    try {
      const page = await get<{ total: number; items: QuarantineRow[] }>("/api/v1/quarantine?limit=50");
      render(body, page.items.length ? [h("p", null, `${num(page.total, 0)} ligne${page.total > 1 ? "s" : ""} à corriger.`), h("ul", { class: "quarantine" }, page.items.map((q) => quarantineItem(q, ctx)))] : h("p", null, "Aucune ligne en quarantaine."));
    } catch (err) {
      render(body, notice(String((err as Error).message), "error"));
    }
  };
  void load();
  window.addEventListener("foncier:quarantine", () => void load());
  return section;
}

function quarantineItem(q: QuarantineRow, ctx: Ctx): HTMLElement {
  const inputs = new Map<string, HTMLInputElement>();
  const fields = [...new Set(q.errors.map((e) => e.field))];
  const editable = (f: string) => {
    const iid = id("q");
    const v = q.payload[f];
    const input = h("input", { type: "text", id: iid, name: f, value: v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v) });
    inputs.set(f, input);
    return h("div", { class: "field", "data-field": f }, h("label", { for: iid }, f), input);
  };
  const others = Object.keys(q.payload).filter((k) => !fields.includes(k) && k !== "geometry");
  const out = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "q-form", novalidate: true },
    fields.filter((f) => f in q.payload || !f.includes(".")).map(editable),
    others.length ? h("details", null, h("summary", null, `Autres colonnes (${others.length})`), h("div", { class: "grid2" }, others.map(editable))) : null,
    h("button", { type: "submit", class: "btn" }, "Corriger et renvoyer"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const payload: Record<string, unknown> = { ...q.payload };
    for (const [f, input] of inputs) {
      const old = q.payload[f];
      payload[f] = typeof old === "object" && old !== null ? safeJson(input.value, old) : input.value === "" ? null : input.value;
    }
    try {
      const r = await call<{ status: string; site_id: string }>(`/api/v1/quarantine/${q.id}/resubmit`, { method: "POST", body: { payload } });
      const done: Record<string, string> = { imported: "site créé", updated: "site mis à jour", unchanged: "site inchangé" };
      render(out, h("p", { class: "notice notice-ok", role: "status", "data-resolved": r.data.site_id }, `Ligne corrigée (${done[r.data.status] ?? r.data.status}) : `, h("a", { href: `/sites/${encodeURIComponent(r.data.site_id)}`, "data-link": "" }, r.data.site_id)));
      form.remove();
      void ctx;
    } catch (err) {
      showErrors(form, err);
    }
  });
  return h(
    "li",
    { "data-quarantine-id": q.id },
    h("div", null, h("strong", null, `Import ${q.batch_id}, ligne ${q.row_number}`), q.site_id ? ` — ${q.site_id}` : "", h("span", { class: "muted" }, ` (${date(q.created_at)})`)),
    h("ul", { class: "reasons" }, q.errors.map((e) => h("li", null, h("code", null, e.field), " : ", e.reason))),
    form,
    out,
  );
}

function safeJson(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}
