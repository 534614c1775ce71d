// The map: MapLibre GL JS over our own layers only (no online basemap). Background layers
// come from our vector tiles (/ogc/collections/{id}/tiles/WebMercatorQuad/{z}/{x}/{y}); when
// the service has no tiles, sites and parcels come as GeoJSON from /api/v1 for the view.
import maplibregl from "maplibre-gl";
import type {
  GeoJSONSource,
  LngLatBoundsLike,
  Map as MLMap,
  MapGeoJSONFeature,
  MapMouseEvent,
  StyleSpecification,
} from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";

type FC = GeoJSON.FeatureCollection;
const EMPTY: FC = { type: "FeatureCollection", features: [] };
const FRANCE: LngLatBoundsLike = [
  [-5.3, 41.2],
  [9.7, 51.2],
];

export const KIND_COLOURS: Record<string, string> = {
  friche: "#b5651d",
  turnkey: "#1b7f5a",
  serviced_plot: "#2f6db5",
};

/** Colour of a 0–100 score: red (0) → amber (50) → green (100); the legend uses it too. */
export const SCORE_STOPS: [number, string][] = [
  [0, "#c0392b"],
  [50, "#e6a817"],
  [100, "#1e8449"],
];

export function scoreColour(score: number): string {
  const s = Math.max(0, Math.min(100, score));
  const i = s <= 50 ? 0 : 1;
  const [a, ca] = SCORE_STOPS[i];
  const [b, cb] = SCORE_STOPS[i + 1];
  const t = (s - a) / (b - a);
  const mix = (k: number) =>
    Math.round(parseInt(ca.slice(k, k + 2), 16) * (1 - t) + parseInt(cb.slice(k, k + 2), 16) * t)
      .toString(16)
      .padStart(2, "0");
  return `#${mix(1)}${mix(3)}${mix(5)}`;
}

interface TileInfo {
  sourceLayer: string;
  minzoom: number;
  maxzoom: number;
}

/** Tile layers we draw, bottom to top, when the service publishes them under /ogc. */
const TILE_COLLECTIONS = ["territoires_industrie", "departements", "epci", "communes", "parcels", "polluted_sites", "sites"];

export type SiteClick = (siteId: string, feature: MapGeoJSONFeature, e: MapMouseEvent) => void;
export type ParcelClick = (idu: string, e: MapMouseEvent) => void;
export type PointClick = (lon: number, lat: number) => void;

export class MapView {
  map: MLMap;
  ready: Promise<void>;
  mode: "tiles" | "geojson" = "geojson";
  onSite: SiteClick | null = null;
  onParcel: ParcelClick | null = null;
  onPoint: PointClick | null = null;
  private markers: maplibregl.Marker[] = [];
  private fallbackAbort: AbortController | null = null;

  constructor(container: HTMLElement) {
    const style: StyleSpecification = {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#f3f1ec" } }],
    };
    this.map = new maplibregl.Map({
      container,
      style,
      bounds: FRANCE,
      attributionControl: { compact: true, customAttribution: "Foncier — données : IGN, INSEE, Cerema, DGFiP/Etalab, ADEME" },
      dragRotate: false,
      pitchWithRotate: false,
      fadeDuration: 0,
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    this.map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
    this.map.touchZoomRotate.disableRotation();
    this.ready = new Promise((resolve) => {
      this.map.once("load", () => {
        this.addBase()
          .catch((e) => console.warn("base layers", e))
          .finally(() => {
            this.addOverlays();
            this.bindClicks();
            container.dataset.mapMode = this.mode;
            container.dataset.ready = "true";
            resolve();
          });
      });
    });
  }

  // --- base layers -------------------------------------------------------------------------

  private async addBase(): Promise<void> {
    const ids = await this.ogcCollections();
    const usable = TILE_COLLECTIONS.filter((c) => ids.includes(c));
    if (usable.includes("sites")) {
      this.mode = "tiles";
      const infos = await Promise.all(usable.map((id) => this.tileInfo(id)));
      for (const [i, id] of usable.entries()) {
        const info = infos[i];
        this.map.addSource(id, {
          type: "vector",
          tiles: [`${location.origin}/ogc/collections/${id}/tiles/WebMercatorQuad/{z}/{x}/{y}`],
          minzoom: info.minzoom,
          maxzoom: Math.min(info.maxzoom, 16),
          promoteId: id === "sites" ? "id" : undefined,
        });
        this.addStyledLayers(id, info.sourceLayer);
      }
    } else {
      this.mode = "geojson";
      this.map.addSource("sites", { type: "geojson", data: EMPTY, promoteId: "site_id" });
      this.map.addSource("parcels", { type: "geojson", data: EMPTY });
      this.addStyledLayers("parcels");
      this.addStyledLayers("sites");
      this.map.on("moveend", () => void this.loadFallback());
      void this.loadFallback();
    }
  }

  private async ogcCollections(): Promise<string[]> {
    try {
      const r = await fetch("/ogc/collections", { headers: { Accept: "application/json" } });
      if (!r.ok) return [];
      const body = (await r.json()) as { collections?: { id: string }[] };
      return (body.collections ?? []).map((c) => c.id);
    } catch {
      return [];
    }
  }

  private async tileInfo(id: string): Promise<TileInfo> {
    const fallback: TileInfo = { sourceLayer: id, minzoom: id === "parcels" ? 13 : 0, maxzoom: 22 };
    for (const url of [
      `/ogc/collections/${id}/tiles/WebMercatorQuad/tilejson.json`,
      `/ogc/collections/${id}/tiles/WebMercatorQuad?f=tilejson`,
    ]) {
      try {
        const r = await fetch(url, { headers: { Accept: "application/json" } });
        if (!r.ok) continue;
        const tj = (await r.json()) as { vector_layers?: { id: string }[]; minzoom?: number; maxzoom?: number };
        if (!tj.vector_layers?.length) continue;
        return {
          sourceLayer: tj.vector_layers[0].id,
          minzoom: tj.minzoom ?? fallback.minzoom,
          maxzoom: tj.maxzoom ?? fallback.maxzoom,
        };
      } catch {
        /* try the next form */
      }
    }
    return fallback;
  }

  private addStyledLayers(id: string, sourceLayer?: string): void {
    const sl = sourceLayer ? { "source-layer": sourceLayer } : {};
    const add = (layer: Record<string, unknown>) =>
      this.map.addLayer({ source: id, ...sl, ...layer } as maplibregl.LayerSpecification);
    switch (id) {
      case "territoires_industrie":
        add({ id: "ti-fill", type: "fill", maxzoom: 10, paint: { "fill-color": "#7d5ba6", "fill-opacity": 0.06 } });
        add({ id: "ti-line", type: "line", minzoom: 6, paint: { "line-color": "#7d5ba6", "line-width": 1.2, "line-dasharray": [3, 2] } });
        break;
      case "departements":
        add({ id: "departements-line", type: "line", paint: { "line-color": "#4a4a4a", "line-width": ["interpolate", ["linear"], ["zoom"], 4, 0.6, 9, 1.6] } });
        break;
      case "epci":
        add({ id: "epci-line", type: "line", minzoom: 7, paint: { "line-color": "#6b6b6b", "line-width": ["interpolate", ["linear"], ["zoom"], 5, 0.4, 10, 1.4] } });
        break;
      case "communes":
        add({ id: "communes-line", type: "line", minzoom: 8.5, paint: { "line-color": "#9a9a9a", "line-width": 0.6 } });
        break;
      case "parcels":
        add({ id: "parcels-fill", type: "fill", minzoom: 14, paint: { "fill-color": "#ffffff", "fill-opacity": 0.01 } });
        add({ id: "parcels-line", type: "line", minzoom: 14, paint: { "line-color": "#a0846b", "line-width": 0.5 } });
        break;
      case "polluted_sites":
        add({ id: "polluted-circle", type: "circle", minzoom: 11, paint: { "circle-radius": 4, "circle-color": "#8e44ad", "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
        break;
      case "sites": {
        const colour = ["match", ["get", "kind"], "turnkey", KIND_COLOURS.turnkey, "serviced_plot", KIND_COLOURS.serviced_plot, KIND_COLOURS.friche];
        add({ id: "sites-fill", type: "fill", paint: { "fill-color": colour, "fill-opacity": 0.35 } });
        add({ id: "sites-line", type: "line", paint: { "line-color": colour, "line-width": 1.2 } });
        // Small polygons at low zoom: a dot on their (coinciding) vertices keeps them visible.
        add({ id: "sites-dot", type: "circle", maxzoom: 11, paint: { "circle-radius": 2.5, "circle-color": colour, "circle-opacity": 0.8 } });
        break;
      }
    }
  }

  /** Without tiles: the sites (zoom ≥ 8) and parcels (zoom ≥ 15) of the view, as GeoJSON. */
  private async loadFallback(): Promise<void> {
    this.fallbackAbort?.abort();
    const abort = new AbortController();
    this.fallbackAbort = abort;
    const b = this.map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
    const z = this.map.getZoom();
    const load = async (source: string, url: string | null) => {
      const src = this.map.getSource(source) as GeoJSONSource | undefined;
      if (!src) return;
      if (!url) {
        src.setData(EMPTY);
        return;
      }
      try {
        const r = await fetch(url, { signal: abort.signal, headers: { Accept: "application/geo+json" } });
        if (r.ok) src.setData((await r.json()) as FC);
      } catch {
        /* aborted by a newer view */
      }
    };
    await Promise.all([
      load("sites", z >= 7 ? `/api/v1/sites?bbox=${bbox}&limit=2000` : null),
      load("parcels", z >= 15 ? `/api/v1/parcels?bbox=${bbox}&limit=3000` : null),
    ]);
  }

  // --- overlays: search results, focus, selection, point --------------------------------------

  private addOverlays(): void {
    const m = this.map;
    for (const s of ["results", "focus", "focus-parcels", "selection", "union", "point"]) {
      m.addSource(s, { type: "geojson", data: EMPTY });
    }
    m.addLayer({ id: "results-fill", type: "fill", source: "results", paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.55 } });
    m.addLayer({ id: "results-line", type: "line", source: "results", paint: { "line-color": ["get", "colour"], "line-width": 2 } });
    m.addLayer({ id: "focus-parcels-line", type: "line", source: "focus-parcels", paint: { "line-color": "#5d4037", "line-width": 1, "line-dasharray": [2, 1] } });
    m.addLayer({ id: "focus-fill", type: "fill", source: "focus", paint: { "fill-color": "#1565c0", "fill-opacity": 0.18 } });
    m.addLayer({ id: "focus-line", type: "line", source: "focus", paint: { "line-color": "#0d47a1", "line-width": 2.5 } });
    m.addLayer({ id: "selection-fill", type: "fill", source: "selection", paint: { "fill-color": "#f39c12", "fill-opacity": 0.35 } });
    m.addLayer({ id: "union-line", type: "line", source: "union", paint: { "line-color": "#d35400", "line-width": 3 } });
    m.addLayer({ id: "point-fill", type: "fill", source: "point", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#1565c0", "fill-opacity": 0.06 } });
    m.addLayer({ id: "point-line", type: "line", source: "point", filter: ["==", ["geometry-type"], "Polygon"], paint: { "line-color": "#1565c0", "line-width": 1.5, "line-dasharray": [2, 2] } });
    m.addLayer({ id: "point-dot", type: "circle", source: "point", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-radius": 6, "circle-color": "#1565c0", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
  }

  private bindClicks(): void {
    const m = this.map;
    const siteLayers = ["results-fill", "sites-fill", "sites-dot"].filter((l) => m.getLayer(l));
    const parcelLayers = ["parcels-fill"].filter((l) => m.getLayer(l));
    for (const l of [...siteLayers, ...parcelLayers]) {
      m.on("mouseenter", l, () => (m.getCanvas().style.cursor = "pointer"));
      m.on("mouseleave", l, () => (m.getCanvas().style.cursor = ""));
    }
    m.on("click", (e) => {
      if (this.onPoint) {
        const cb = this.onPoint;
        this.onPoint = null;
        m.getCanvas().style.cursor = "";
        cb(e.lngLat.lng, e.lngLat.lat);
        return;
      }
      if (this.onParcel && parcelLayers.length) {
        const f = m.queryRenderedFeatures(e.point, { layers: parcelLayers })[0];
        const idu = f && String(f.properties?.id ?? f.properties?.idu ?? f.id ?? "");
        if (idu) return this.onParcel(idu, e);
      }
      if (this.onSite && siteLayers.length) {
        const f = m.queryRenderedFeatures(e.point, { layers: siteLayers })[0];
        const sid = f && String(f.properties?.site_id ?? f.id ?? "");
        if (sid) this.onSite(sid, f, e);
      }
    });
  }

  /** Ask for one click on the map (a point for the location criterion). */
  pickPoint(cb: PointClick): void {
    this.onPoint = cb;
    this.map.getCanvas().style.cursor = "crosshair";
  }

  setData(source: string, data: FC): void {
    (this.map.getSource(source) as GeoJSONSource | undefined)?.setData(data);
  }

  /** Search results, coloured by score, with their rank as a marker. */
  setResults(fc: FC, onPick: (siteId: string) => void): void {
    for (const mk of this.markers) mk.remove();
    this.markers = [];
    const features = fc.features.map((f) => ({
      ...f,
      properties: { ...f.properties, colour: scoreColour(Number(f.properties?.score ?? 0)) } as Record<string, unknown>,
    }));
    this.setData("results", { type: "FeatureCollection", features });
    for (const f of features) {
      const c = centre(f.geometry);
      if (!c) continue;
      const rank = f.properties?.rank ?? "";
      const el = document.createElement("button");
      el.type = "button";
      el.className = "rank-marker";
      el.style.background = String(f.properties.colour);
      el.textContent = String(rank);
      el.title = `${rank}. ${f.properties?.name ?? f.properties?.site_id} — ${Math.round(Number(f.properties?.score ?? 0))}/100`;
      el.addEventListener("click", (ev) => {
        ev.stopPropagation();
        onPick(String(f.properties?.site_id ?? f.id));
      });
      this.markers.push(new maplibregl.Marker({ element: el }).setLngLat(c).addTo(this.map));
    }
  }

  clearOverlays(): void {
    for (const s of ["results", "focus", "focus-parcels", "selection", "union", "point"]) this.setData(s, EMPTY);
    for (const mk of this.markers) mk.remove();
    this.markers = [];
    this.onParcel = null;
    this.onPoint = null;
  }

  fit(geom: GeoJSON.Geometry | FC | null, maxZoom = 16): void {
    const b = bounds(geom);
    if (b) this.map.fitBounds(b, { padding: 48, maxZoom, duration: 0 });
  }

  setPoint(lon: number, lat: number, radiusKm: number | null): void {
    const features: GeoJSON.Feature[] = [{ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: [lon, lat] } }];
    if (radiusKm) features.push({ type: "Feature", properties: {}, geometry: circle(lon, lat, radiusKm) });
    this.setData("point", { type: "FeatureCollection", features });
  }
}

/** A rough centre (middle of the bounding box) for markers. */
export function centre(g: GeoJSON.Geometry | null): [number, number] | null {
  const b = bounds(g);
  return b ? [(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2] : null;
}

export function bounds(g: GeoJSON.Geometry | FC | null): [[number, number], [number, number]] | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === "number") {
      x0 = Math.min(x0, c[0] as number); y0 = Math.min(y0, c[1] as number);
      x1 = Math.max(x1, c[0] as number); y1 = Math.max(y1, c[1] as number);
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  const walk = (x: GeoJSON.Geometry | FC | GeoJSON.Feature | null): void => {
    if (!x) return;
    if (x.type === "FeatureCollection") x.features.forEach(walk);
    else if (x.type === "Feature") walk(x.geometry);
    else if (x.type === "GeometryCollection") x.geometries.forEach(walk);
    else visit((x as GeoJSON.Polygon).coordinates);
  };
  walk(g);
  return Number.isFinite(x0) ? [[x0, y0], [x1, y1]] : null;
}

function circle(lon: number, lat: number, km: number): GeoJSON.Polygon {
  const ring: [number, number][] = [];
  const dLat = km / 111.32;
  const dLon = km / (111.32 * Math.cos((lat * Math.PI) / 180));
  for (let i = 0; i <= 64; i++) {
    const a = (i / 64) * 2 * Math.PI;
    ring.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return { type: "Polygon", coordinates: [ring] };
}
