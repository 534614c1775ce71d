// Tiny DOM helpers: h() builds elements, formatters speak French.

export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, unknown>;

const PROPS = new Set(["value", "checked", "disabled", "selected", "hidden", "open", "indeterminate"]);

/** Create an element: h("a", {href: "/", class: "x", onclick: fn}, "text", child). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else if (PROPS.has(key)) {
      (el as unknown as Record<string, unknown>)[key] = value;
    } else if (key === "style" && typeof value === "object") {
      Object.assign(el.style, value);
    } else {
      el.setAttribute(key === "className" ? "class" : key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replace an element's children. */
export function render(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

const nf = (digits: number) =>
  new Intl.NumberFormat("fr-FR", { maximumFractionDigits: digits, minimumFractionDigits: 0 });

export function num(value: unknown, digits = 1): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  return Number.isFinite(n) ? nf(digits).format(n) : String(value);
}

/** Hectares with two decimals (28,00 ha) from square metres. */
export function ha(m2: unknown): string {
  const n = Number(m2);
  if (m2 === null || m2 === undefined || !Number.isFinite(n)) return "—";
  return `${new Intl.NumberFormat("fr-FR", { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n / 10_000)} ha`;
}

export function date(iso: unknown): string {
  if (!iso) return "—";
  const d = new Date(String(iso));
  if (Number.isNaN(d.getTime())) return String(iso);
  const withTime = String(iso).length > 10;
  return withTime
    ? d.toLocaleString("fr-FR", { dateStyle: "medium", timeStyle: "short" })
    : d.toLocaleDateString("fr-FR", { dateStyle: "medium" });
}

export function months(n: unknown): string {
  if (n === null || n === undefined) return "—";
  return `${num(n, 2)} mois`;
}

/** A loading indicator (role=status so that screen readers hear it). */
export function spinner(text = "Chargement…"): HTMLElement {
  return h("p", { class: "loading", role: "status" }, h("span", { class: "spin", "aria-hidden": "true" }), text);
}

export function notice(text: string, kind: "error" | "info" | "ok" = "info"): HTMLElement {
  return h("p", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

let uid = 0;
/** A unique id for label/input pairs. */
export function id(prefix = "f"): string {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled input row: <div class="field"><label for>…</label><input id data-field></div>. */
export function field(
  label: string,
  input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLElement {
  if (!input.id) input.id = id();
  return h(
    "div",
    { class: "field", "data-field": input.dataset.field },
    h("label", { for: input.id }, label),
    input,
    hint ? h("small", { class: "hint" }, hint) : null,
  );
}
