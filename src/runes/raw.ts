/** Reading a runeset's raw YAML tree before it is validated: what may be a mapping, and its entries that are. */

/** A YAML mapping as parsed, nothing known of its values yet. */
export type Obj = Readonly<Record<string, unknown>>;

/** `value` when it is a mapping (not null, not a list), else undefined. */
export function asObj(value: unknown): Obj | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : undefined;
}

/** The entries of a mapping whose values are mappings themselves (`spells`, `sources`, …); others are left to the schema. */
export function entries(value: unknown): [string, Obj][] {
  return Object.entries(asObj(value) ?? {}).flatMap(([k, v]): [string, Obj][] => {
    const o = asObj(v);
    return o ? [[k, o]] : [];
  });
}
