// Client-side reading of seed files, for "Try it" (first entry) and previews.
// The server stays the judge of a seed file (POST /api/seeds/validate).

export type SeedFormat = 'json' | 'jsonl' | 'csv';

export function seedFormat(filename: string, text: string): SeedFormat {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  const t = text.trimStart();
  if (t.startsWith('[')) return 'json';
  if (t.startsWith('{')) {
    const lines = t.split(/\r?\n/).filter((l) => l.trim());
    return lines.length > 1 && lines.every((l) => l.trim().startsWith('{')) ? 'jsonl' : 'json';
  }
  return 'csv';
}

/** RFC 4180-ish CSV: quoted fields, doubled quotes, commas and newlines inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const src = text.replace(/^\uFEFF/, '');
  while (i < src.length) {
    const c = src[i];
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
    i++;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

function toMetadata(entry: unknown): Record<string, unknown> {
  if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
    const obj = entry as Record<string, unknown>;
    if (obj.metadata && typeof obj.metadata === 'object' && !Array.isArray(obj.metadata)) {
      return obj.metadata as Record<string, unknown>;
    }
    return obj;
  }
  throw new Error('A seed must be a JSON object');
}

/** The metadata of the first seed of a JSON, JSONL or CSV file. */
export function firstSeedMetadata(filename: string, text: string): Record<string, unknown> {
  const format = seedFormat(filename, text);
  if (format === 'csv') {
    const rows = parseCsv(text);
    if (rows.length < 2) throw new Error('The CSV file needs a header row and at least one data row');
    const [header, first] = rows;
    return Object.fromEntries(header.map((h, i) => [h.trim(), first[i] ?? '']));
  }
  if (format === 'jsonl') {
    const line = text.split(/\r?\n/).find((l) => l.trim());
    if (!line) throw new Error('The file has no seed');
    return toMetadata(JSON.parse(line));
  }
  const data: unknown = JSON.parse(text);
  if (Array.isArray(data)) {
    if (!data.length) throw new Error('The file has no seed');
    return toMetadata(data[0]);
  }
  return toMetadata(data);
}

/** Example seeds of a template as a downloadable JSON file body. */
export function seedsFileBody(seeds: unknown[]): string {
  return JSON.stringify(seeds, null, 2) + '\n';
}

/** "X (copy)", "X (copy 2)", ...: a name no existing pipeline has. */
export function copyName(name: string, existing: { name: string }[]): string {
  const names = new Set(existing.map((p) => p.name));
  const base = `${name} (copy)`;
  if (!names.has(base)) return base;
  for (let i = 2; ; i++) {
    const candidate = `${name} (copy ${i})`;
    if (!names.has(candidate)) return candidate;
  }
}
