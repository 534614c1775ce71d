// Investor view: the project's requirements → ranked sites, on the list and on the map
// (coloured by score); 2–3 sites side by side. The URL holds the search (?q=…&cmp=…).
import { ApiError, call, clearErrors, get, showErrors } from "../api";
import { CRITERIA, ICPE, KINDS, KIND_LABEL, type Criterion, type Location, type MatchRequest } from "../criteria";
import type { Ctx } from "../context";
import { h, id, notice, num, render, spinner } from "../dom";
import { SCORE_STOPS, scoreColour } from "../map";
import { criteriaBars, failedList, mutabilityBox, permitsTimeline, scoreBadge, zanGauge, type MatchResult } from "../widgets";

interface Answer {
  numberMatched: number;
  numberExcluded?: number | null;
  numberReturned?: number;
  results: MatchResult[];
  links?: { rel: string; href: string }[];
}

const PAGE = 20;
const DEFAULT: MatchRequest = {
  icpe: "enregistrement",
  criteria: {
    surface_ha: { min: 2, weight: 1 },
    months_to_permits: { max: 12, weight: 2 },
    friche_preference: { weight: 1 },
    location: { departements: ["08"] },
  },
};

export function readUrl(): { req: MatchRequest | null; cmp: string[]; excluded: boolean; offset: number } {
  const p = new URLSearchParams(location.search);
  let req: MatchRequest | null = null;
  const q = p.get("q");
  if (q) {
    try {
      req = JSON.parse(q) as MatchRequest;
    } catch {
      req = null;
    }
  }
  return {
    req,
    cmp: (p.get("cmp") ?? "").split(",").filter(Boolean).slice(0, 3),
    excluded: p.get("exclus") === "1",
    offset: Math.max(0, Number(p.get("offset") ?? 0) || 0),
  };
}

function writeUrl(req: MatchRequest, cmp: string[], excluded: boolean, offset: number): void {
  const p = new URLSearchParams();
  p.set("q", JSON.stringify(req));
  if (cmp.length) p.set("cmp", cmp.join(","));
  if (excluded) p.set("exclus", "1");
  if (offset) p.set("offset", String(offset));
  history.replaceState(null, "", `/?${p.toString()}`);
}

export function searchView(ctx: Ctx): void {
  const state = readUrl();
  let compare: string[] = state.cmp;
  let last: MatchResult[] = [];
  let abort: AbortController | null = null;
  ctx.cleanup.push(() => abort?.abort());

  const form = buildForm(state.req ?? DEFAULT, state.excluded, ctx);
  const results = h("section", { id: "results", class: "results", "aria-live": "polite", "aria-label": "Résultats" });
  const intro = h(
    "details",
    { class: "form-box", open: true },
    h("summary", null, h("h2", null, "Votre projet")),
    form,
  );
  render(ctx.panel, h("h1", { class: "sr-only" }, "Rechercher un site industriel"), intro, results);

  const run = async (offset: number) => {
    const req = readForm(form);
    const excluded = (form.querySelector("#include-excluded") as HTMLInputElement).checked;
    writeUrl(req, compare, excluded, offset);
    clearErrors(form);
    abort?.abort();
    abort = new AbortController();
    const submit = form.querySelector("button[type=submit]") as HTMLButtonElement;
    submit.disabled = true;
    ctx.panel.setAttribute("aria-busy", "true");
    render(results, spinner("Classement des sites…"));
    const qs = `limit=${PAGE}&offset=${offset}&include_excluded=${excluded}`;
    try {
      const [answer, geo] = await Promise.all([
        call<Answer>(`/api/v1/matches?${qs}`, { method: "POST", body: req, signal: abort.signal }),
        call<GeoJSON.FeatureCollection>(`/api/v1/matches?${qs}`, {
          method: "POST",
          body: req,
          accept: "application/geo+json",
          signal: abort.signal,
        }).catch(() => null),
      ]);
      last = answer.data.results;
      showResults(answer.data, offset);
      if (geo && geo.data?.type === "FeatureCollection") {
        const byId = new Map(last.map((r) => [r.site_id, r]));
        const features = geo.data.features.map((f) => {
          const sid = String(f.properties?.site_id ?? f.id);
          const r = byId.get(sid);
          return { ...f, properties: { ...f.properties, site_id: sid, rank: r?.rank ?? f.properties?.rank, score: r?.score ?? f.properties?.score, name: r?.name ?? f.properties?.name } };
        });
        geometries.clear();
        for (const f of features) if (f.geometry) geometries.set(String(f.properties.site_id), f.geometry);
        ctx.map.setResults({ type: "FeatureCollection", features }, (sid) => focusResult(sid));
        if (features.length) ctx.map.fit({ type: "FeatureCollection", features }, 13);
      } else ctx.map.setResults({ type: "FeatureCollection", features: [] }, () => undefined);
      intro.open = false;
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      render(results);
      showErrors(form, e);
      intro.open = true;
      if (e instanceof ApiError && e.status === 404) {
        results.append(notice("Le classement n'est pas disponible sur ce serveur (POST /api/v1/matches).", "error"));
      }
    } finally {
      submit.disabled = false;
      ctx.panel.removeAttribute("aria-busy");
    }
  };

  const focusResult = (sid: string) => {
    const card = results.querySelector(`[data-site-id="${CSS.escape(sid)}"]`) as HTMLElement | null;
    if (!card) return;
    card.scrollIntoView({ block: "nearest", behavior: "smooth" });
    const det = card.querySelector("details");
    if (det) det.open = true;
    card.classList.add("flash");
    setTimeout(() => card.classList.remove("flash"), 1200);
  };

  const showResults = (a: Answer, offset: number) => {
    const next = a.links?.find((l) => l.rel === "next");
    const head = h(
      "div",
      { class: "results-head" },
      h("h2", null, `${num(a.numberMatched, 0)} site${a.numberMatched > 1 ? "s" : ""} correspondant${a.numberMatched > 1 ? "s" : ""}`),
      a.numberExcluded ? h("p", { class: "muted" }, `${num(a.numberExcluded, 0)} exclus par une contrainte impérative`) : null,
      legend(),
    );
    const compareBar = h("div", { class: "compare-bar" });
    const updateCompareBar = () => {
      render(
        compareBar,
        h(
          "button",
          { type: "button", class: "btn", disabled: compare.length < 2, onclick: () => showCompare() },
          `Comparer (${compare.length}/3)`,
        ),
        compare.length ? h("button", { type: "button", class: "btn-link", onclick: () => { compare = []; results.querySelectorAll<HTMLInputElement>(".compare-toggle").forEach((c) => (c.checked = false)); sync(); } }, "Effacer la sélection") : null,
      );
    };
    const sync = () => {
      const req = readForm(form);
      writeUrl(req, compare, (form.querySelector("#include-excluded") as HTMLInputElement).checked, offset);
      updateCompareBar();
    };
    updateCompareBar();
    const list = h(
      "ol",
      { class: "result-list", start: offset + 1 },
      a.results.map((r) =>
        resultCard(r, compare.includes(r.site_id), (on, box) => {
          if (on && compare.length >= 3) {
            box.checked = false;
            return;
          }
          compare = on ? [...compare, r.site_id] : compare.filter((s) => s !== r.site_id);
          sync();
        }, ctx),
      ),
    );
    const pager = h(
      "nav",
      { class: "pager", "aria-label": "Pages de résultats" },
      offset > 0 ? h("button", { type: "button", class: "btn-link", onclick: () => run(Math.max(0, offset - PAGE)) }, "← Précédents") : null,
      next ? h("button", { type: "button", class: "btn-link", onclick: () => run(offset + PAGE) }, "Suivants →") : null,
    );
    render(results, head, compareBar, a.results.length ? list : notice("Aucun site ne satisfait ces exigences. Assouplissez une contrainte impérative ou élargissez la zone.", "info"), pager);
    if (compare.length >= 2 && state.cmp.length) {
      state.cmp = [];
      showCompare();
    }
  };

  const showCompare = () => {
    const chosen = compare.map((sid) => last.find((r) => r.site_id === sid)).filter(Boolean) as MatchResult[];
    if (chosen.length < 2) return;
    renderCompare(ctx, chosen);
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void run(0);
  });
  ctx.map.onSite = (sid) => focusResult(sid);
  ctx.cleanup.push(() => {
    ctx.map.onSite = null;
    ctx.overlay.hidden = true;
  });
  if (state.req) void run(state.offset);
}

function legend(): HTMLElement {
  const gradient = `linear-gradient(90deg, ${SCORE_STOPS.map(([s, c]) => `${c} ${s}%`).join(", ")})`;
  return h("div", { class: "score-legend", "aria-hidden": "true" }, h("span", null, "0"), h("span", { class: "ramp", style: { background: gradient } }), h("span", null, "100"));
}

/** Geometries of the current results (from the GeoJSON answer), for "Voir sur la carte". */
const geometries = new Map<string, GeoJSON.Geometry>();

function resultCard(r: MatchResult, compared: boolean, onCompare: (on: boolean, box: HTMLInputElement) => void, ctx: Ctx): HTMLElement {
  const boxId = id("cmp");
  const box = h("input", { type: "checkbox", id: boxId, class: "compare-toggle", checked: compared, onchange: (e: Event) => onCompare((e.target as HTMLInputElement).checked, e.target as HTMLInputElement) });
  const link = h("a", { href: `/sites/${encodeURIComponent(r.site_id)}`, class: "result-name", "data-link": "" }, r.name || r.site_id);
  return h(
    "li",
    { class: `result${r.eligible ? "" : " excluded"}`, "data-site-id": r.site_id, "data-rank": r.rank, "data-score": r.score },
    h(
      "div",
      { class: "result-head" },
      h("span", { class: "rank", "aria-label": `rang ${r.rank}` }, String(r.rank)),
      h("div", { class: "result-title" }, link, h("div", { class: "meta" }, `${KIND_LABEL[r.kind] ?? r.kind} · ${r.commune ?? ""}`, r.eligible ? null : h("span", { class: "tag tag-excluded" }, "exclu"))),
      scoreBadge(r.score),
    ),
    h("div", { class: "bar total", role: "img", "aria-label": `score ${num(r.score, 0)} sur 100` }, h("span", { style: { width: `${Math.max(0, Math.min(100, r.score))}%`, background: scoreColour(r.score) } })),
    failedList(r.failed, r.criteria),
    h(
      "div",
      { class: "result-actions" },
      h("span", { class: "check" }, box, h("label", { for: boxId }, "Comparer")),
      h("button", { type: "button", class: "btn-link", onclick: () => ctx.map.fit(geometries.get(r.site_id) ?? null, 15) }, "Voir sur la carte"),
    ),
    h(
      "details",
      { class: "result-details" },
      h("summary", null, "Pourquoi ce rang : critères, délais, ZAN, mutabilité"),
      criteriaBars(r.criteria),
      h("h4", null, "Délai des autorisations"),
      permitsTimeline(r.time_to_permits),
      h("h4", null, "Sobriété foncière (ZAN)"),
      zanBox(r),
      mutabilityBox(r.mutability),
    ),
  );
}

/** The match's ZAN figures; without them, the host EPCI's envelope (read when first shown). */
function zanBox(r: MatchResult): HTMLElement {
  if (r.zan || !r.epci_siren) return zanGauge(r.zan);
  const box = h("div", { class: "zan-lazy" }, spinner("Enveloppe ZAN du territoire…"));
  const io = new IntersectionObserver((entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    io.disconnect();
    get<Record<string, unknown>>(`/api/v1/territories/${encodeURIComponent(r.epci_siren!)}/zan`).then(
      (doc) => render(box, zanGauge(doc)),
      () => render(box, zanGauge(null)),
    );
  });
  io.observe(box);
  return box;
}

function renderCompare(ctx: Ctx, sites: MatchResult[]): void {
  const ids = new Set<string>();
  for (const s of sites) for (const c of s.criteria) ids.add(c.criterion);
  const crit = (s: MatchResult, cid: string) => s.criteria.find((c) => c.criterion === cid);
  const close = h("button", { type: "button", class: "btn close", onclick: () => (ctx.overlay.hidden = true) }, "Fermer la comparaison");
  const labelOf = (cid: string) => sites.map((s) => crit(s, cid)?.label).find(Boolean) ?? cid;
  render(
    ctx.overlay,
    h(
      "section",
      { class: "compare", role: "dialog", "aria-label": "Comparaison de sites" },
      h("div", { class: "compare-head" }, h("h2", null, "Comparaison"), close),
      h(
        "div",
        { class: "compare-scroll" },
        h(
          "table",
          { class: "compare-table" },
          h("thead", null, h("tr", null, h("th", { scope: "col" }, ""), sites.map((s) => h("th", { scope: "col" }, h("a", { href: `/sites/${encodeURIComponent(s.site_id)}`, "data-link": "" }, `${s.rank}. ${s.name}`), h("div", { class: "meta" }, `${KIND_LABEL[s.kind] ?? s.kind} · ${s.commune}`))))),
          h(
            "tbody",
            null,
            h("tr", null, h("th", { scope: "row" }, "Score total"), sites.map((s) => h("td", null, scoreBadge(s.score)))),
            [...ids].map((cid) =>
              h(
                "tr",
                null,
                h("th", { scope: "row" }, labelOf(cid)),
                sites.map((s) => {
                  const c = crit(s, cid);
                  if (!c) return h("td", null, "—");
                  return h("td", { class: `crit-${c.status}` }, criteriaBars([c]).querySelector("tbody td:nth-child(2)")?.cloneNode(true) ?? "", h("div", { class: "bar" }, h("span", { style: { width: `${Math.round((c.score ?? 0) * 100)}%` } })));
                }),
              ),
            ),
            h("tr", null, h("th", { scope: "row" }, "Contraintes non respectées"), sites.map((s) => h("td", null, failedList(s.failed, s.criteria) ?? "aucune"))),
            h("tr", null, h("th", { scope: "row" }, "Délai des autorisations"), sites.map((s) => h("td", null, permitsTimeline(s.time_to_permits)))),
            h("tr", null, h("th", { scope: "row" }, "ZAN"), sites.map((s) => h("td", null, zanBox(s)))),
            h("tr", null, h("th", { scope: "row" }, "Mutabilité (ADEME)"), sites.map((s) => h("td", null, mutabilityBox(s.mutability)))),
          ),
        ),
      ),
    ),
  );
  ctx.overlay.hidden = false;
  close.focus();
}

// --- the requirement form ------------------------------------------------------------------

function buildForm(req: MatchRequest, excluded: boolean, ctx: Ctx): HTMLFormElement {
  const c = req.criteria ?? {};
  const groups = new Map<string, HTMLElement[]>();
  for (const def of CRITERIA) {
    const cur = (c[def.id] ?? null) as Criterion | null;
    const rows: HTMLElement[] = [];
    if (def.id === "kinds") {
      const values = (cur?.values as string[] | undefined) ?? [];
      rows.push(
        h(
          "div",
          { class: "inline-checks", role: "group", "aria-label": def.label },
          KINDS.map(([v, label]) => {
            const iid = id("kind");
            return h("span", { class: "check" }, h("input", { type: "checkbox", id: iid, name: "kinds", value: v, checked: values.includes(v) }), h("label", { for: iid }, label));
          }),
        ),
      );
    } else if (def.flag) {
      const iid = id("flag");
      rows.push(h("span", { class: "check" }, h("input", { type: "checkbox", id: iid, "data-flag": def.id, checked: cur !== null }), h("label", { for: iid }, def.preferenceOnly ? "prendre en compte" : "requis")));
    }
    for (const inp of def.inputs) {
      const iid = id(def.id);
      const value = cur?.[inp.key];
      const input = inp.choices
        ? h("select", { id: iid, "data-key": inp.key }, h("option", { value: "" }, "—"), inp.choices.map((v) => h("option", { value: String(v), selected: value === v }, String(v))))
        : h("input", { id: iid, type: inp.type, "data-key": inp.key, step: inp.step, min: inp.min, inputmode: inp.type === "number" ? "decimal" : undefined, value: value === undefined || value === null ? "" : String(value) });
      rows.push(h("span", { class: "sub", "data-field": `criteria.${def.id}.${inp.key}` }, h("label", { for: iid }, inp.label), input));
    }
    const mustId = id("must");
    const weightId = id("weight");
    const criterion = h(
      "fieldset",
      { class: "criterion", "data-criterion": def.id, "data-field": `criteria.${def.id}` },
      h("legend", null, def.label),
      h("div", { class: "crit-inputs" }, rows),
      h(
        "div",
        { class: "crit-mode" },
        def.preferenceOnly
          ? null
          : h("span", { class: "check", "data-field": `criteria.${def.id}.must` }, h("input", { type: "checkbox", id: mustId, "data-role": "must", checked: cur?.must === true }), h("label", { for: mustId, title: "Un site qui ne satisfait pas ce critère (ou dont la valeur est inconnue) est exclu" }, "impératif")),
        h("span", { class: "sub weight", "data-field": `criteria.${def.id}.weight` }, h("label", { for: weightId }, "poids"), h("input", { type: "number", id: weightId, "data-role": "weight", min: "0", max: "100", step: "0.5", value: String(cur?.weight ?? 1) })),
      ),
    );
    const list = groups.get(def.group) ?? [];
    list.push(criterion);
    groups.set(def.group, list);
  }
  const loc = (c.location ?? {}) as Location;
  const icpeId = id("icpe");
  const pointLon = h("input", { type: "number", id: id("lon"), step: "any", "data-loc": "lon", value: loc.point ? String(loc.point.lon) : "" });
  const pointLat = h("input", { type: "number", id: id("lat"), step: "any", "data-loc": "lat", value: loc.point ? String(loc.point.lat) : "" });
  const radius = h("input", { type: "number", id: id("radius"), min: "0", step: "any", "data-loc": "radius_km", value: loc.radius_km ? String(loc.radius_km) : "" });
  const list = (key: keyof Location, label: string, hint: string) => {
    const iid = id(key);
    const v = (loc[key] as string[] | undefined) ?? [];
    return h("div", { class: "field", "data-field": `criteria.location.${key}` }, h("label", { for: iid }, label), h("input", { type: "text", id: iid, "data-loc": key, value: v.join(", "), placeholder: hint, autocomplete: "off" }));
  };
  const showPoint = () => {
    const lon = Number(pointLon.value);
    const lat = Number(pointLat.value);
    if (pointLon.value && pointLat.value && Number.isFinite(lon) && Number.isFinite(lat)) ctx.map.setPoint(lon, lat, Number(radius.value) || null);
    else ctx.map.setData("point", { type: "FeatureCollection", features: [] });
  };
  for (const i of [pointLon, pointLat, radius]) i.addEventListener("change", showPoint);
  void ctx.map.ready.then(showPoint);
  const pickBtn = h("button", { type: "button", class: "btn-link", onclick: () => {
    pickBtn.textContent = "Cliquez sur la carte…";
    ctx.map.pickPoint((lon, lat) => {
      pointLon.value = lon.toFixed(5);
      pointLat.value = lat.toFixed(5);
      if (!radius.value) radius.value = "30";
      pickBtn.textContent = "Choisir sur la carte";
      showPoint();
    });
  } }, "Choisir sur la carte");

  const form = h(
    "form",
    { id: "search-form", class: "search-form", novalidate: true },
    h("div", { class: "field", "data-field": "icpe" }, h("label", { for: icpeId }, "Régime ICPE du projet"), h("select", { id: icpeId, name: "icpe" }, ICPE.map(([v, label]) => h("option", { value: v, selected: (req.icpe ?? "") === v }, label)))),
    h(
      "fieldset",
      { class: "location", "data-field": "criteria.location" },
      h("legend", null, "Localisation (filtre impératif)"),
      list("departements", "Départements", "08, 51"),
      list("regions", "Régions (code INSEE)", "44"),
      list("epcis", "EPCI (SIREN)", "200041630"),
      list("territoires_industrie", "Territoires d'industrie", "ti-4401"),
      h(
        "div",
        { class: "point-row", "data-field": "criteria.location.point" },
        h("span", { class: "sub" }, h("label", { for: pointLon.id }, "longitude"), pointLon),
        h("span", { class: "sub" }, h("label", { for: pointLat.id }, "latitude"), pointLat),
        h("span", { class: "sub", "data-field": "criteria.location.radius_km" }, h("label", { for: radius.id }, "rayon (km)"), radius),
        pickBtn,
      ),
    ),
    [...groups.entries()].map(([g, items]) => h("div", { class: "crit-group" }, h("h3", null, g), items)),
    h("div", { class: "form-actions" }, h("span", { class: "check" }, h("input", { type: "checkbox", id: "include-excluded", checked: excluded }), h("label", { for: "include-excluded" }, "montrer aussi les sites exclus (et pourquoi)")), h("button", { type: "submit", class: "btn btn-primary" }, "Classer les sites")),
  );
  return form;
}

const splitCodes = (s: string) => s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);

/** Read the form into the body of POST /api/v1/matches (empty criteria are left out). */
export function readForm(form: HTMLFormElement): MatchRequest {
  const criteria: Record<string, Criterion | Location> = {};
  for (const fs of form.querySelectorAll<HTMLFieldSetElement>("fieldset.criterion")) {
    const cid = fs.dataset.criterion!;
    const out: Criterion = {};
    let active = false;
    for (const inp of fs.querySelectorAll<HTMLInputElement | HTMLSelectElement>("[data-key]")) {
      if (inp.value === "") continue;
      out[inp.dataset.key!] = inp.type === "date" ? inp.value : Number(inp.value);
      active = true;
    }
    if (cid === "kinds") {
      const values = [...fs.querySelectorAll<HTMLInputElement>("input[name=kinds]:checked")].map((i) => i.value);
      if (values.length) {
        out.values = values;
        active = true;
      }
    }
    const flag = fs.querySelector<HTMLInputElement>("[data-flag]");
    if (flag?.checked) active = true;
    if (!active) continue;
    const must = fs.querySelector<HTMLInputElement>("[data-role=must]");
    if (must?.checked) out.must = true;
    const w = fs.querySelector<HTMLInputElement>("[data-role=weight]");
    if (w && w.value !== "" && Number(w.value) !== 1) out.weight = Number(w.value);
    criteria[cid] = out;
  }
  const loc: Location = {};
  for (const key of ["regions", "departements", "epcis", "territoires_industrie"] as const) {
    const v = splitCodes(form.querySelector<HTMLInputElement>(`[data-loc=${key}]`)?.value ?? "");
    if (v.length) loc[key] = v;
  }
  const lon = form.querySelector<HTMLInputElement>("[data-loc=lon]")!.value;
  const lat = form.querySelector<HTMLInputElement>("[data-loc=lat]")!.value;
  const radius = form.querySelector<HTMLInputElement>("[data-loc=radius_km]")!.value;
  if (lon !== "" && lat !== "") {
    loc.point = { lon: Number(lon), lat: Number(lat) };
    if (radius !== "") loc.radius_km = Number(radius);
  }
  if (Object.keys(loc).length) criteria.location = loc;
  const icpe = (form.querySelector("select[name=icpe]") as HTMLSelectElement).value;
  return { icpe: icpe || null, criteria };
}
