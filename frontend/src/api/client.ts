import type {
  AccumulatedStateSchema,
  ActiveJobResponse,
  ApiErrorBody,
  BlocksResponse,
  BulkRecordUpdate,
  DataRecord,
  ExecuteResponse,
  GenerateResponse,
  Health,
  Job,
  JobsResponse,
  Pipeline,
  PipelineDefinition,
  PipelinesResponse,
  RecordStatus,
  RecordUpdate,
  RecordsResponse,
  SeedsValidateResponse,
  TemplatesResponse,
  ValidateResponseExt,
} from './types';

const TOKEN_KEY = 'datagenflow.apiToken';

export function getToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token: string): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage unavailable: the token lives for this page only */
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called whenever the server answers 401: the layout then asks for the API token. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export class ApiError extends Error {
  readonly status: number;
  readonly detail: Record<string, unknown> | null;

  constructor(status: number, message: string, detail: Record<string, unknown> | null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

type Query = Record<string, string | number | boolean | null | undefined>;

export function buildUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

interface RequestOptions {
  query?: Query;
  json?: unknown;
  form?: FormData;
  /** A raw body (a file's text) and its content type. */
  raw?: { body: Blob | string; type: string };
  signal?: AbortSignal;
}

export async function apiFetch(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders() };
  let body: BodyInit | undefined;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    body = opts.form;
  } else if (opts.raw) {
    headers['Content-Type'] = opts.raw.type;
    body = opts.raw.body;
  }
  const res = await fetch(buildUrl(path, opts.query), { method, headers, body, signal: opts.signal });
  if (res.status === 401) unauthorizedListeners.forEach((l) => l());
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    let detail: Record<string, unknown> | null = null;
    try {
      const data = (await res.json()) as Partial<ApiErrorBody> & { detail?: unknown };
      if (typeof data.error === 'string') message = data.error;
      else if (typeof data.detail === 'string') message = data.detail;
      if (data.detail && typeof data.detail === 'object' && !Array.isArray(data.detail)) {
        detail = data.detail as Record<string, unknown>;
      }
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, message, detail);
  }
  return res;
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await apiFetch(method, path, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

function fileForm(file: File | Blob, filename: string | undefined, extra?: Record<string, string>): FormData {
  const form = new FormData();
  if (file instanceof File) form.append('file', file);
  else form.append('file', file, filename ?? 'seeds.json');
  for (const [k, v] of Object.entries(extra ?? {})) form.append(k, v);
  return form;
}

export const api = {
  health: () => request<Health>('GET', '/api/health'),
  blocks: () => request<BlocksResponse>('GET', '/api/blocks'),
  templates: () => request<TemplatesResponse>('GET', '/api/templates'),
  createFromTemplate: (templateId: string) =>
    request<Pipeline>('POST', `/api/pipelines/from_template/${encodeURIComponent(templateId)}`),

  pipelines: () => request<PipelinesResponse>('GET', '/api/pipelines'),
  pipeline: (id: number) => request<Pipeline>('GET', `/api/pipelines/${id}`),
  createPipeline: (def: PipelineDefinition) => request<Pipeline>('POST', '/api/pipelines', { json: def }),
  updatePipeline: (id: number, def: PipelineDefinition) =>
    request<Pipeline>('PUT', `/api/pipelines/${id}`, { json: def }),
  deletePipeline: (id: number) => request<void>('DELETE', `/api/pipelines/${id}`),
  validatePipeline: (def: PipelineDefinition) =>
    request<ValidateResponseExt>('POST', '/api/pipelines/validate', { json: def }),
  executePipeline: (id: number, metadata: Record<string, unknown>) =>
    request<ExecuteResponse>('POST', `/api/pipelines/${id}/execute`, { json: { metadata } }),
  /** A pipeline file (YAML or JSON, as `download` gives and `datagenflow run` reads) saved as a new pipeline. */
  importPipeline: (file: File) =>
    request<Pipeline>('POST', '/api/pipelines/import', {
      query: { filename: file.name || 'pipeline.yaml' },
      raw: { body: file, type: /\.json$/i.test(file.name) ? 'application/json' : 'application/yaml' },
    }),
  accumulatedStateSchema: (id: number) =>
    request<AccumulatedStateSchema>('GET', `/api/pipelines/${id}/accumulated_state_schema`),

  validateSeeds: (file: File | Blob, filename?: string) =>
    request<SeedsValidateResponse>('POST', '/api/seeds/validate', { form: fileForm(file, filename) }),
  generate: (file: File | Blob, pipelineId: number, filename?: string) =>
    request<GenerateResponse>('POST', '/api/generate', {
      form: fileForm(file, filename, { pipeline_id: String(pipelineId) }),
    }),

  jobs: () => request<JobsResponse>('GET', '/api/jobs'),
  activeJob: () => request<ActiveJobResponse>('GET', '/api/jobs/active'),
  job: (id: number) => request<Job>('GET', `/api/jobs/${id}`),
  cancelJob: (id: number) => request<Job>('DELETE', `/api/jobs/${id}`),
  retryFailed: (id: number) => request<Job>('POST', `/api/jobs/${id}/retry_failed`),

  records: (q: { job_id?: number; status?: RecordStatus | ''; limit?: number; offset?: number }) =>
    request<RecordsResponse>('GET', '/api/records', { query: q }),
  record: (id: number) => request<DataRecord>('GET', `/api/records/${id}`),
  updateRecord: (id: number, update: RecordUpdate) =>
    request<DataRecord>('PUT', `/api/records/${id}`, { json: update }),
  bulkUpdateRecords: (update: BulkRecordUpdate) =>
    request<{ updated: number }>('PUT', '/api/records', { json: update }),
  deleteRecords: (jobId: number) =>
    request<{ deleted: number }>('DELETE', '/api/records', { query: { job_id: jobId } }),
};

/** URL of the job's progress stream; EventSource cannot send headers, so the token goes in the query. */
export function jobEventsUrl(jobId: number): string {
  const token = getToken();
  return buildUrl(`/api/jobs/${jobId}/events`, { token: token || undefined });
}

export function exportUrl(jobId: number | undefined, status: string | undefined): string {
  return buildUrl('/api/export', { job_id: jobId, status });
}

/** Downloads through fetch (so the Authorization header goes along) and saves the blob. */
export async function downloadExport(jobId: number | undefined, status: string | undefined): Promise<void> {
  const res = await apiFetch('GET', exportUrl(jobId, status));
  const blob = await res.blob();
  const disposition = res.headers.get('Content-Disposition') ?? '';
  const match = /filename="?([^";]+)"?/.exec(disposition);
  saveBlob(blob, match?.[1] ?? `datagenflow-job-${jobId ?? 'all'}.jsonl`);
}

/** Saves a pipeline's definition as a YAML or JSON file (fetched with the Authorization header). */
export async function downloadPipeline(id: number, format: 'yaml' | 'json' = 'yaml'): Promise<void> {
  const res = await apiFetch('GET', buildUrl(`/api/pipelines/${id}/download`, { format }));
  const disposition = res.headers.get('Content-Disposition') ?? '';
  const match = /filename="?([^";]+)"?/.exec(disposition);
  saveBlob(await res.blob(), match?.[1] ?? `pipeline-${id}.${format}`);
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
