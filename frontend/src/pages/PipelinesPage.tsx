import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, errorMessage, saveBlob } from '../api/client';
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
        <Link to="/pipelines/new" className="button primary" data-testid="new-pipeline">
          + New pipeline
        </Link>
      </div>
      <TemplatesSection />
      <PipelineList />
    </div>
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
  const actionError = duplicate.error ?? remove.error;
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
