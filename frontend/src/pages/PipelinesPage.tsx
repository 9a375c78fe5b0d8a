import { useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, downloadPipeline, errorMessage, saveBlob } from '../api/client';
import type { Pipeline, Template } from '../api/types';
import { ConfirmDialog } from '../components/Modal';
import { Spinner } from '../components/Spinner';
import { formatDate } from '../lib/format';
import { copyName, seedsFileBody } from '../lib/seeds';

export function PipelinesPage() {
  return (
    <div className="page" data-testid="page-pipelines">
      <div className="page-title">
        <h1>Pipelines</h1>
        <div className="title-actions">
          <ImportButton />
          <Link to="/pipelines/new" className="button primary" data-testid="new-pipeline">
            + New pipeline
          </Link>
        </div>
      </div>
      <TemplatesSection />
      <PipelineList />
    </div>
  );
}

/** Import a pipeline file (YAML or JSON): saved after the server validated it, then opened. */
function ImportButton() {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const importFile = useMutation({
    mutationFn: (file: File) => api.importPipeline(file),
    onSuccess: (p) => {
      void qc.invalidateQueries({ queryKey: ['pipelines'] });
      navigate(`/pipelines/${p.id}`);
    },
  });
  return (
    <>
      <input
        ref={input}
        type="file"
        accept=".yaml,.yml,.json"
        hidden
        data-testid="import-pipeline-input"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) importFile.mutate(file);
        }}
      />
      <button
        type="button"
        className="button"
        onClick={() => input.current?.click()}
        disabled={importFile.isPending}
        data-testid="import-pipeline"
        title="Add a pipeline from a YAML or JSON file (as Download gives and datagenflow run reads)"
      >
        {importFile.isPending ? <Spinner small /> : null} Import pipeline
      </button>
      {importFile.error && (
        <p className="error-text import-error" role="alert" data-testid="import-error">
          Could not import: {errorMessage(importFile.error)}
        </p>
      )}
    </>
  );
}

function TemplatesSection() {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const { data, isLoading, error } = useQuery({ queryKey: ['templates'], queryFn: api.templates });
  const create = useMutation({
    mutationFn: (id: string) => api.createFromTemplate(id),
    onSuccess: (p) => {
      void qc.invalidateQueries({ queryKey: ['pipelines'] });
      navigate(`/pipelines/${p.id}`);
    },
  });
  const downloadSeeds = (t: Template) => {
    saveBlob(new Blob([seedsFileBody(t.example_seeds)], { type: 'application/json' }), `${t.id}-seeds.json`);
  };
  return (
    <section className="section" data-testid="templates-section">
      <h2>Start from a template</h2>
      {isLoading && <Spinner />}
      {error && <p className="error-text">Could not load templates: {errorMessage(error)}</p>}
      {create.error && <p className="error-text" data-testid="template-error">{errorMessage(create.error)}</p>}
      <div className="card-grid">
        {data?.templates.map((t) => (
          <article key={t.id} className="card template-card" data-testid={`template-card-${t.id}`}>
            <h3>{t.name}</h3>
            <p className="muted">{t.description}</p>
            <p className="small muted">
              {t.definition.blocks.length} block{t.definition.blocks.length === 1 ? '' : 's'}:{' '}
              {t.definition.blocks.map((b) => b.type).join(' → ')}
            </p>
            <div className="card-actions">
              <button
                type="button"
                className="button primary"
                disabled={create.isPending}
                onClick={() => create.mutate(t.id)}
                data-testid={`template-use-${t.id}`}
              >
                Use template
              </button>
              <button
                type="button"
                className="button"
                onClick={() => downloadSeeds(t)}
                disabled={!t.example_seeds?.length}
                data-testid={`template-seeds-${t.id}`}
                title="Download the template's example seeds as a JSON file"
              >
                Example seeds
              </button>
            </div>
          </article>
        ))}
        {data && data.templates.length === 0 && <p className="muted">No templates.</p>}
      </div>
    </section>
  );
}

function PipelineList() {
  const qc = useQueryClient();
  const { data, isLoading, error } = useQuery({ queryKey: ['pipelines'], queryFn: api.pipelines });
  const [toDelete, setToDelete] = useState<Pipeline | null>(null);
  const duplicate = useMutation({
    mutationFn: (p: Pipeline) => api.createPipeline({ ...p.definition, name: copyName(p.name, data?.pipelines ?? []) }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['pipelines'] }),
  });
  const remove = useMutation({
    mutationFn: (id: number) => api.deletePipeline(id),
    onSuccess: () => {
      setToDelete(null);
      void qc.invalidateQueries({ queryKey: ['pipelines'] });
    },
  });
  const download = useMutation({ mutationFn: (id: number) => downloadPipeline(id) });
  const actionError = duplicate.error ?? remove.error ?? download.error;
  return (
    <section className="section" data-testid="pipelines-section">
      <h2>Your pipelines</h2>
      {isLoading && <Spinner />}
      {error && <p className="error-text">Could not load pipelines: {errorMessage(error)}</p>}
      {actionError && <p className="error-text" data-testid="pipeline-action-error">{errorMessage(actionError)}</p>}
      {data && data.pipelines.length === 0 && (
        <p className="muted" data-testid="pipelines-empty">
          No pipelines yet: start from a template above or build a new one.
        </p>
      )}
      {data && data.pipelines.length > 0 && (
        <table className="table" data-testid="pipelines-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Blocks</th>
              <th>Updated</th>
              <th aria-label="actions" />
            </tr>
          </thead>
          <tbody>
            {data.pipelines.map((p) => (
              <tr key={p.id} data-testid={`pipeline-row-${p.id}`} data-pipeline-name={p.name}>
                <td>
                  <Link to={`/pipelines/${p.id}`} data-testid={`pipeline-open-${p.id}`}>
                    {p.name}
                  </Link>
                </td>
                <td className="small muted">{p.definition.blocks.map((b) => b.id).join(', ') || '—'}</td>
                <td className="small muted">{formatDate(p.updated_at)}</td>
                <td className="row-actions">
                  <Link to={`/generator?pipeline=${p.id}`} className="button small" data-testid={`pipeline-generate-${p.id}`}>
                    Generate
                  </Link>
                  <button
                    type="button"
                    className="button small"
                    onClick={() => duplicate.mutate(p)}
                    disabled={duplicate.isPending}
                    data-testid={`pipeline-duplicate-${p.id}`}
                  >
                    Duplicate
                  </button>
                  <button
                    type="button"
                    className="button small"
                    onClick={() => download.mutate(p.id)}
                    data-testid={`pipeline-download-${p.id}`}
                    title="Download as YAML, for datagenflow run or Import"
                  >
                    Download
                  </button>
                  <button
                    type="button"
                    className="button small danger"
                    onClick={() => setToDelete(p)}
                    data-testid={`pipeline-delete-${p.id}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {toDelete && (
        <ConfirmDialog
          title="Delete pipeline"
          message={
            <>
              Delete <strong>{toDelete.name}</strong>? This cannot be undone.
            </>
          }
          confirmLabel="Delete"
          danger
          busy={remove.isPending}
          onConfirm={() => remove.mutate(toDelete.id)}
          onCancel={() => setToDelete(null)}
        />
      )}
    </section>
  );
}
