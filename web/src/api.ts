// Calls to Foncier's API: the key from sessionStorage, errors as ApiError with field errors.
import { h } from "./dom";

const KEY = "foncier.apiKey";

export interface FieldErr {
  field: string;
  reason: string;
  allowed?: string[];
  where?: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public errors: FieldErr[] = [],
    public etag: string | null = null,
  ) {
    super(message);
  }
}

export function getKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
  window.dispatchEvent(new Event("foncier:key"));
}

export interface Options {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  accept?: string;
  form?: FormData;
  signal?: AbortSignal;
}

export interface Reply<T> {
  data: T;
  response: Response;
}

/** Call the API; JSON in and out. Throws ApiError with the API's {code, message, errors}. */
export async function call<T = unknown>(path: string, opts: Options = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { Accept: opts.accept ?? "application/json", ...opts.headers };
  const key = getKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  let body: BodyInit | undefined;
  if (opts.form) body = opts.form;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] ??= "application/json";
  }
  let response: Response;
  try {
    response = await fetch(path, { method: opts.method ?? "GET", headers, body, signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "network", "Le service ne répond pas (réseau).");
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!response.ok) {
    const d = (data ?? {}) as { code?: string; message?: string; errors?: FieldErr[]; description?: string };
    throw new ApiError(
      response.status,
      d.code ?? String(response.status),
      d.message ?? d.description ?? `Erreur ${response.status}`,
      Array.isArray(d.errors) ? d.errors : [],
      response.headers.get("ETag"),
    );
  }
  return { data: data as T, response };
}

export async function get<T = unknown>(path: string, opts: Options = {}): Promise<T> {
  return (await call<T>(path, opts)).data;
}

const STATUS_TEXT: Record<number, string> = {
  0: "Le service ne répond pas.",
  401: "Clé d'API absente, inconnue ou révoquée.",
  403: "Votre clé ne permet pas cette action (autre territoire ou rôle en lecture seule).",
  404: "Introuvable.",
  409: "Conflit : cet identifiant existe déjà.",
  412: "Le site a été modifié entre-temps : rechargez la fiche avant d'enregistrer.",
  413: "Fichier ou requête trop volumineux.",
  422: "Certaines valeurs sont invalides.",
  428: "Relisez la fiche avant de la modifier.",
};

/** Remove the field errors shown in a container. */
export function clearErrors(container: Element): void {
  container.querySelectorAll(".field-error, .form-errors").forEach((e) => e.remove());
  container.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
}

/**
 * Show an API error next to the fields it names: each error goes under the element whose
 * data-field is its field (or the longest prefix of its path); the others above the form.
 */
export function showErrors(container: Element, err: unknown, aliases: Record<string, string> = {}): void {
  clearErrors(container);
  const box = h("div", { class: "form-errors", role: "alert" });
  if (!(err instanceof ApiError)) {
    box.append(h("p", null, `Erreur inattendue : ${String((err as Error)?.message ?? err)}`));
    container.prepend(box);
    return;
  }
  box.append(h("p", null, h("strong", null, STATUS_TEXT[err.status] ?? `Erreur ${err.status}`), " ", err.message));
  const loose: FieldErr[] = [];
  for (const e of err.errors) {
    const target = findField(container, e.field, aliases);
    const text = describe(e);
    if (target) {
      const input = target.querySelector("input, select, textarea") ?? target;
      input.setAttribute("aria-invalid", "true");
      const msg = h("p", { class: "field-error", "data-error-for": e.field }, text);
      target.append(msg);
      if (input.id) {
        msg.id = `${input.id}-error`;
        input.setAttribute("aria-describedby", msg.id);
      }
    } else loose.push(e);
  }
  if (loose.length) box.append(h("ul", null, loose.map((e) => h("li", null, h("code", null, e.field), " : ", describe(e)))));
  const heading = container.firstElementChild;
  if (heading && /^H[1-4]$/.test(heading.tagName)) heading.after(box);
  else container.prepend(box);
  (container.querySelector("[aria-invalid=true]") as HTMLElement | null)?.focus();
}

function describe(e: FieldErr): string {
  let text = e.reason;
  if (e.allowed?.length) text += ` (valeurs admises : ${e.allowed.join(", ")})`;
  if (e.where) text += ` — à ${e.where}`;
  return text;
}

function findField(container: Element, path: string, aliases: Record<string, string>): Element | null {
  const parts = path.split(".");
  for (let n = parts.length; n > 0; n--) {
    const p = parts.slice(0, n).join(".");
    for (const candidate of [aliases[p], p, p.replace(/^properties\./, "")]) {
      if (!candidate) continue;
      const el = container.querySelector(`[data-field="${CSS.escape(candidate)}"]`);
      if (el) return el;
    }
  }
  return null;
}
