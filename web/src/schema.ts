// Enumerations of site properties, read from the service's own OpenAPI document (one fetch).
import { get } from "./api";

let spec: Promise<Record<string, unknown> | null> | null = null;

function openapi(): Promise<Record<string, unknown> | null> {
  spec ??= get<Record<string, unknown>>("/openapi.json").catch(() => null);
  return spec;
}

/** The allowed values of a SiteProperties field (empty when it is free text). */
export async function enumOf(field: string): Promise<string[]> {
  const doc = await openapi();
  const schemas = (doc?.components as { schemas?: Record<string, { properties?: Record<string, unknown> }> })?.schemas;
  const prop = schemas?.SiteProperties?.properties?.[field] as Record<string, unknown> | undefined;
  if (!prop) return [];
  const found: string[] = [];
  const visit = (s: unknown) => {
    if (!s || typeof s !== "object") return;
    const o = s as Record<string, unknown>;
    if (Array.isArray(o.enum)) found.push(...(o.enum as string[]));
    if (typeof o.const === "string") found.push(o.const);
    for (const k of ["anyOf", "oneOf"]) if (Array.isArray(o[k])) (o[k] as unknown[]).forEach(visit);
  };
  visit(prop);
  return found;
}
