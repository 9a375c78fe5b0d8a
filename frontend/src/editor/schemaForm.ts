// JSON Schema property -> form widget, and the checks behind the messages shown as you type.
import type { ConfigSchema, JsonSchemaProperty } from '../api/types';

export type WidgetKind =
  | 'text'
  | 'multiline'
  | 'number'
  | 'integer'
  | 'checkbox'
  | 'select'
  | 'field-reference'
  | 'field-reference-list'
  | 'jinja'
  | 'json';

export interface NormalizedProperty {
  /** JSON types other than "null". */
  types: string[];
  nullable: boolean;
  enumValues: unknown[] | null;
  format: string | null;
  fieldReference: boolean;
  items: JsonSchemaProperty | null;
  prop: JsonSchemaProperty;
}

function asTypes(t: JsonSchemaProperty['type']): string[] {
  if (t === undefined) return [];
  return Array.isArray(t) ? t : [t];
}

/** Flattens `type: [X, "null"]` and pydantic's `anyOf: [{...}, {type: "null"}]`. */
export function normalizeProperty(prop: JsonSchemaProperty): NormalizedProperty {
  let types = asTypes(prop.type);
  let enumValues = prop.enum ?? null;
  let format = prop.format ?? null;
  let items = prop.items ?? null;
  let fieldReference = prop['x-field-reference'] === true;
  const variants = prop.anyOf ?? prop.oneOf;
  if (variants && types.length === 0) {
    for (const v of variants) {
      const vt = asTypes(v.type);
      types = [...types, ...vt];
      if (!enumValues && v.enum) enumValues = v.enum;
      if (!format && v.format) format = v.format;
      if (!items && v.items) items = v.items;
      if (v['x-field-reference'] === true) fieldReference = true;
      if (v.const !== undefined && !v.type) types.push('null');
    }
  }
  const nullable = types.includes('null') || (enumValues?.includes(null) ?? false);
  const nonNull = [...new Set(types.filter((t) => t !== 'null'))];
  if (enumValues) enumValues = enumValues.filter((v) => v !== null);
  return { types: nonNull, nullable, enumValues, format, fieldReference, items, prop };
}

export function widgetKind(prop: JsonSchemaProperty): WidgetKind {
  const n = normalizeProperty(prop);
  const has = (t: string) => n.types.includes(t);
  if (n.enumValues && n.enumValues.length > 0) return 'select';
  if (has('array') && (n.fieldReference || n.items?.['x-field-reference'] === true)) return 'field-reference-list';
  if (n.fieldReference) return 'field-reference';
  if (n.format === 'jinja') return 'jinja';
  if (n.format === 'json' || has('object') || has('array')) return 'json';
  if (n.format === 'multiline') return 'multiline';
  if (n.types.length === 1) {
    if (has('boolean')) return 'checkbox';
    if (has('integer')) return 'integer';
    if (has('number')) return 'number';
    if (has('string')) return 'text';
  }
  if (n.types.length === 2 && has('number') && has('integer')) return 'number';
  if (n.types.length === 0 || n.types.length > 1) return 'json';
  return 'text';
}

export function isEmptyValue(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** The value the block gets: the configured one, else the schema default. */
export function effectiveValue(prop: JsonSchemaProperty, value: unknown): unknown {
  return value === undefined ? prop.default : value;
}

/** Required properties with no value (nor default): the "Not Configured" badge. */
export function missingRequired(schema: ConfigSchema | undefined, config: Record<string, unknown>): string[] {
  if (!schema) return [];
  const props = schema.properties ?? {};
  return (schema.required ?? []).filter((key) => isEmptyValue(effectiveValue(props[key] ?? {}, config[key])));
}

export interface DraftResult {
  value: unknown;
  error: string | null;
}

/** Parses what the user typed into a number or JSON widget. */
export function parseDraft(kind: WidgetKind, text: string, prop: JsonSchemaProperty): DraftResult {
  const n = normalizeProperty(prop);
  const empty = n.nullable ? null : undefined;
  if (kind === 'number' || kind === 'integer') {
    const t = text.trim();
    if (t === '') return { value: empty, error: null };
    const num = Number(t);
    if (!Number.isFinite(num)) return { value: undefined, error: 'Enter a number' };
    if (kind === 'integer' && !Number.isInteger(num)) return { value: undefined, error: 'Enter a whole number' };
    return { value: num, error: rangeError(prop, num) };
  }
  if (kind === 'json') {
    if (text.trim() === '') return { value: empty, error: null };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { value: undefined, error: `Invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
    }
    return { value: parsed, error: jsonTypeError(n, parsed) };
  }
  return { value: text, error: null };
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function jsonTypeError(n: NormalizedProperty, value: unknown): string | null {
  if (n.types.length === 0) return null;
  const t = jsonType(value);
  if (t === 'null' && n.nullable) return null;
  if (n.types.includes(t)) return null;
  if (t === 'integer' && n.types.includes('number')) return null;
  const names = n.types.map((x) =>
    x === 'object' ? 'a JSON object' : x === 'array' ? 'a JSON array' : x === 'integer' ? 'an integer' : `a ${x}`,
  );
  return `Expected ${names.join(' or ')}`;
}

function rangeError(prop: JsonSchemaProperty, num: number): string | null {
  const p = { ...prop, ...(prop.anyOf?.find((v) => v.type !== 'null') ?? {}) };
  if (typeof p.minimum === 'number' && num < p.minimum) return `Must be at least ${p.minimum}`;
  if (typeof p.maximum === 'number' && num > p.maximum) return `Must be at most ${p.maximum}`;
  if (typeof p.exclusiveMinimum === 'number' && num <= p.exclusiveMinimum) return `Must be more than ${p.exclusiveMinimum}`;
  if (typeof p.exclusiveMaximum === 'number' && num >= p.exclusiveMaximum) return `Must be less than ${p.exclusiveMaximum}`;
  return null;
}

/** Checks a stored value against its property: the message shown under the field, or null. */
export function validateValue(prop: JsonSchemaProperty, value: unknown, required: boolean): string | null {
  const v = effectiveValue(prop, value);
  if (isEmptyValue(v)) return required ? 'Required' : null;
  const n = normalizeProperty(prop);
  if (n.enumValues && n.enumValues.length && !n.enumValues.some((e) => e === v)) {
    return `Must be one of: ${n.enumValues.map((e) => String(e)).join(', ')}`;
  }
  const typeError = jsonTypeError(n, v);
  if (typeError) return typeError;
  if (typeof v === 'number') return rangeError(prop, v);
  if (typeof v === 'string') {
    const p = { ...prop, ...(prop.anyOf?.find((x) => x.type === 'string') ?? {}) };
    if (typeof p.minLength === 'number' && v.length < p.minLength) return `At least ${p.minLength} characters`;
    if (typeof p.maxLength === 'number' && v.length > p.maxLength) return `At most ${p.maxLength} characters`;
    if (typeof p.pattern === 'string') {
      try {
        if (!new RegExp(p.pattern).test(v)) return `Must match ${p.pattern}`;
      } catch {
        /* the schema's own pattern is not a JS regex: skip */
      }
    }
  }
  return null;
}

/** Text shown in a number/JSON widget for a stored value. */
export function formatDraft(kind: WidgetKind, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (kind === 'json') return JSON.stringify(value, null, 2);
  return String(value);
}

/** Properties in the schema's own order (the block's parameter order). */
export function orderedProperties(schema: ConfigSchema | undefined): [string, JsonSchemaProperty][] {
  return Object.entries(schema?.properties ?? {});
}

export function propertyLabel(key: string, prop: JsonSchemaProperty): string {
  if (prop.title && prop.title.replace(/\s+/g, '').toLowerCase() !== key.replace(/_/g, '').toLowerCase()) {
    return prop.title;
  }
  return key.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}
