// Hand-written types of the HTTP API (docs/api.md). They are checked against the
// server's OpenAPI spec in `schema-check.ts` once `npm run gen:api` has produced schema.d.ts.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A JSON Schema fragment as the registry serves it for a block's config. */
export interface JsonSchemaProperty {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  format?: string;
  items?: JsonSchemaProperty;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  anyOf?: JsonSchemaProperty[];
  oneOf?: JsonSchemaProperty[];
  properties?: Record<string, JsonSchemaProperty>;
  required?: string[];
  'x-field-reference'?: boolean;
  [key: string]: unknown;
}

export interface ConfigSchema {
  type?: 'object' | string;
  properties?: Record<string, JsonSchemaProperty>;
  required?: string[];
  [key: string]: unknown;
}

export interface BlockInfo {
  type: string;
  name: string;
  description: string;
  /** Longer help (the block's docstring), when the server has one. */
  documentation?: string;
  category: string;
  inputs: string[];
  outputs: string[];
  source: string;
  config_schema: ConfigSchema;
}

export interface BlockLoadError {
  source: string;
  error: string;
}

export interface BlocksResponse {
  blocks: BlockInfo[];
  errors: BlockLoadError[];
}

export interface BlockDefinition {
  id: string;
  type: string;
  config: Record<string, unknown>;
}

export type Edge = [string, string];

export type Position = {
  x: number;
  y: number;
};

export interface PipelineDefinition {
  name: string;
  description?: string;
  seed_fields?: string[] | null;
  blocks: BlockDefinition[];
  edges?: Edge[] | null;
  layout?: Record<string, Position> | null;
}

export interface Pipeline {
  id: number;
  name: string;
  definition: PipelineDefinition;
  created_at: string;
  updated_at: string;
}

export interface PipelinesResponse {
  pipelines: Pipeline[];
}

export interface Seed {
  repetitions?: number;
  metadata: Record<string, unknown>;
}

export interface Template {
  id: string;
  name: string;
  description: string;
  definition: PipelineDefinition;
  example_seeds: Seed[];
}

export interface TemplatesResponse {
  templates: Template[];
}

export type ProblemKind =
  | 'unknown_type'
  | 'missing_config'
  | 'invalid_config'
  | 'cycle'
  | 'unconnected'
  | 'template'
  | 'field_reference'
  | 'duplicate_id'
  | 'unknown_edge'
  | 'output_conflict'
  | 'empty';

export interface Problem {
  block_id: string | null;
  field: string | null;
  kind: ProblemKind | string;
  message: string;
}

export interface ValidateResponse {
  valid: boolean;
  problems: Problem[];
  /** Per block id: the fields of the accumulated state the block can read. */
  fields: Record<string, string[]>;
}

/**
 * What the editor reads from a validation: per block, besides the available fields, what the
 * block adds (its outputs may depend on its config). `blocks` is used when the server sends it.
 */
export interface ValidateResponseExt extends ValidateResponse {
  blocks?: Record<string, { available: string[]; outputs: string[] }>;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  model?: string | null;
  endpoint?: string | null;
  demo?: boolean;
}

export interface TraceEntry {
  block_id: string;
  block_type: string;
  input: Record<string, unknown>;
  output: Record<string, unknown> | null;
  accumulated_state: Record<string, unknown>;
  started_at: string;
  duration_ms: number;
  error: string | null;
  usage: TokenUsage | null;
}

export interface ExecuteResponse {
  status: 'succeeded' | 'failed';
  output: unknown;
  accumulated_state: Record<string, unknown>;
  trace: TraceEntry[];
  error: string | null;
}

export interface AccumulatedStateSchema {
  seed_fields: string[];
  fields: string[];
  blocks: Record<string, { available: string[]; outputs: string[] }>;
}

export interface SeedsValidateResponse {
  seeds: number;
  total_executions: number;
  fields: string[];
}

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface Job {
  id: number;
  pipeline_id: number | null;
  pipeline_name: string;
  status: JobStatus;
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  current_blocks: string[];
  elapsed_s: number;
  rate: number;
  eta_s: number | null;
  error: string | null;
  seed_filename: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

export interface JobsResponse {
  jobs: Job[];
}

export interface ActiveJobResponse {
  job: Job | null;
}

export interface GenerateResponse {
  job_id: number;
}

export type RecordStatus = 'pending' | 'accepted' | 'rejected' | 'edited' | 'failed';
export const RECORD_STATUSES: RecordStatus[] = ['pending', 'accepted', 'rejected', 'edited', 'failed'];

export interface DataRecord {
  id: number;
  job_id: number;
  seed_index: number;
  repetition: number;
  metadata: Record<string, unknown>;
  status: RecordStatus;
  output: unknown;
  original_output: unknown;
  accumulated_state: Record<string, unknown>;
  trace: TraceEntry[];
  error: string | null;
  created_at: string;
  updated_at: string;
}

export interface RecordsResponse {
  records: DataRecord[];
  total: number;
  counts: Record<RecordStatus, number>;
}

export interface RecordUpdate {
  status?: Exclude<RecordStatus, 'failed'>;
  output?: unknown;
}

export interface BulkRecordUpdate {
  job_id: number;
  status: 'accepted' | 'rejected' | 'pending';
  ids?: number[];
  filter_status?: Exclude<RecordStatus, 'failed'>;
}

export interface Health {
  status: string;
  database: string;
  llm: { base_url: string; reachable: boolean; demo: boolean };
  version: string;
}

export interface ApiErrorBody {
  error: string;
  detail?: Record<string, unknown> | null;
}
