// Foncier's map page: one page, three views chosen by the URL (/ investor search,
// /sites/{id} a site, /staff the territory staff's tools); the map stays across views.
import "./style.css";
import { getKey } from "./api";
import type { Ctx } from "./context";
import { h, render } from "./dom";
import { MapView } from "./map";
import { searchView } from "./views/search";
import { siteView } from "./views/site";
import { staffView } from "./views/staff";

function layout(): { panel: HTMLElement; mapEl: HTMLElement; overlay: HTMLElement; keyStatus: HTMLElement } {
  const app = document.getElementById("app")!;
  const keyStatus = h("span", { class: "key-status", id: "key-status" });
  const panel = h("section", { id: "panel", class: "panel", tabindex: "-1" });
  const mapEl = h("div", { id: "map", class: "map", role: "region", "aria-label": "Carte des sites" });
  const overlay = h("div", { id: "overlay", class: "overlay", hidden: true });
  render(
    app,
    h("a", { href: "#panel", class: "skip" }, "Aller au contenu"),
    h(
      "header",
      { class: "topbar" },
      h("a", { href: "/", class: "brand", "data-link": "" }, "Foncier", h("small", null, " foncier industriel")),
      h("nav", { "aria-label": "Navigation principale" }, h("a", { href: "/", "data-link": "", "data-nav": "search" }, "Rechercher un site"), h("a", { href: "/staff", "data-link": "", "data-nav": "staff" }, "Espace territoire"), h("a", { href: "/docs" }, "API")),
      keyStatus,
    ),
    h("main", { class: "layout" }, panel, h("div", { class: "map-wrap" }, mapEl, overlay)),
  );
  app.removeAttribute("aria-busy");
  return { panel, mapEl, overlay, keyStatus };
}

function boot(): void {
  const { panel, mapEl, overlay, keyStatus } = layout();
  const map = new MapView(mapEl);
  const ctx: Ctx = { panel, overlay, map, navigate: (url) => go(url), cleanup: [] };
  // A handle for debugging from the console and for the browser tests (clicks on parcels).
  (window as unknown as { foncier: unknown }).foncier = { map: map.map, view: map };

  const showKey = () => {
    keyStatus.textContent = getKey() ? "clé d'API active" : "";
  };
  window.addEventListener("foncier:key", showKey);
  showKey();

  const route = () => {
    for (const f of ctx.cleanup.splice(0)) f();
    overlay.hidden = true;
    document.title = "Foncier — foncier industriel";
    void map.ready.then(() => map.clearOverlays());
    const path = location.pathname;
    const site = /^\/sites\/([^/]+)\/?$/.exec(path);
    document.querySelectorAll("[data-nav]").forEach((a) => a.removeAttribute("aria-current"));
    if (site) {
      void map.ready.then(() => siteView(ctx, decodeURIComponent(site[1])));
    } else if (path.startsWith("/staff")) {
      document.querySelector("[data-nav=staff]")?.setAttribute("aria-current", "page");
      void map.ready.then(() => staffView(ctx));
    } else {
      document.querySelector("[data-nav=search]")?.setAttribute("aria-current", "page");
      void map.ready.then(() => searchView(ctx));
    }
    panel.scrollTop = 0;
  };

  const go = (url: string) => {
    if (url !== location.pathname + location.search) history.pushState(null, "", url);
    route();
  };

  // Internal links (data-link) change the view without reloading the page (the map stays).
  document.addEventListener("click", (e) => {
    const a = (e.target as Element).closest("a[data-link]") as HTMLAnchorElement | null;
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    go(a.pathname + a.search);
  });
  window.addEventListener("popstate", route);
  map.onSite = null;
  route();
}

boot();
