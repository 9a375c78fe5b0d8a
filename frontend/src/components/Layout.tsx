import { Suspense, useEffect, useRef, useState } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, getToken, onUnauthorized, setToken } from '../api/client';
import { applyTheme, initialTheme, type Theme } from '../lib/theme';
import { percent } from '../lib/format';
import { Modal } from './Modal';
import { Spinner } from './Spinner';

export function Layout() {
  const location = useLocation();
  const fullBleed = /^\/pipelines\/[^/]+/.test(location.pathname);
  return (
    <div className={`app${fullBleed ? ' full-bleed' : ''}`}>
      <Header />
      <HealthBanner />
      <main className="app-main">
        <Suspense
          fallback={
            <div className="center">
              <Spinner />
            </div>
          }
        >
          <Outlet />
        </Suspense>
      </main>
      <TokenPrompt />
    </div>
  );
}

function Header() {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const toggle = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    applyTheme(next);
    setTheme(next);
  };
  return (
    <header className="app-header" data-testid="app-header">
      <Link to="/pipelines" className="brand" data-testid="brand">
        <img src="/favicon.svg" alt="" width={22} height={22} />
        <span>DataGenFlow</span>
      </Link>
      <nav className="main-nav" aria-label="Main">
        <NavLink to="/pipelines" data-testid="nav-pipelines">
          Pipelines
        </NavLink>
        <NavLink to="/generator" data-testid="nav-generator">
          Generator
        </NavLink>
        <NavLink to="/review" data-testid="nav-review">
          Review
        </NavLink>
      </nav>
      <div className="header-right">
        <ActiveJobIndicator />
        <button
          type="button"
          className="icon-button"
          onClick={toggle}
          data-testid="theme-toggle"
          data-theme-current={theme}
          title={theme === 'dark' ? 'Switch to light mode' : 'Switch to dark mode'}
          aria-label={theme === 'dark' ? 'Switch to light mode' : 'Switch to dark mode'}
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </div>
    </header>
  );
}

function ActiveJobIndicator() {
  const qc = useQueryClient();
  const { data } = useQuery({
    queryKey: ['jobs', 'active'],
    queryFn: api.activeJob,
    refetchInterval: 2000,
    refetchIntervalInBackground: false,
  });
  const job = data?.job ?? null;
  const lastId = useRef<number | null>(null);
  // when the active job goes away, lists that show it are stale
  useEffect(() => {
    const id = job?.id ?? null;
    if (id !== lastId.current) {
      if (lastId.current !== null) {
        void qc.invalidateQueries({ queryKey: ['jobs'] });
        void qc.invalidateQueries({ queryKey: ['records'] });
      }
      lastId.current = id;
    }
  }, [job?.id, qc]);
  if (!job) {
    return (
      <span className="active-job idle" data-testid="active-job-none">
        No active job
      </span>
    );
  }
  const pct = percent(job.done, job.total);
  return (
    <span className="active-job" data-testid="active-job-indicator" data-job-id={job.id}>
      <Spinner small />
      <Link to={`/generator?job=${job.id}`} data-testid="active-job-link" title={`${job.pipeline_name}: ${job.done}/${job.total}`}>
        Job #{job.id} · <span data-testid="active-job-percent">{pct}%</span>
      </Link>
      <Link to={`/review?job=${job.id}`} className="muted-link" data-testid="active-job-review-link">
        review
      </Link>
    </span>
  );
}

function HealthBanner() {
  const { data } = useQuery({ queryKey: ['health'], queryFn: api.health, refetchInterval: 30000 });
  if (!data) return null;
  if (data.llm?.demo) {
    return (
      <div className="banner banner-demo" data-testid="demo-banner" role="status">
        Demo mode: answers come from the built-in fake LLM; set LLM_BASE_URL in .env to use a real model.
      </div>
    );
  }
  if (data.llm && !data.llm.reachable) {
    return (
      <div className="banner banner-warn" data-testid="llm-unreachable-banner" role="status">
        The LLM endpoint {data.llm.base_url} does not answer: generation will fail until it does.
      </div>
    );
  }
  return null;
}

function TokenPrompt() {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState('');
  useEffect(() => onUnauthorized(() => setOpen(true)), []);
  if (!open) return null;
  const save = () => {
    setToken(value.trim());
    setOpen(false);
    setValue('');
    void qc.invalidateQueries();
  };
  return (
    <Modal
      title="API token required"
      onClose={() => setOpen(false)}
      testId="token-dialog"
      footer={
        <button type="submit" form="token-form" className="button primary" data-testid="token-save">
          Save token
        </button>
      }
    >
      <form
        id="token-form"
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <p>
          This server asks for an API token (<code>DATAGENFLOW_API_TOKEN</code>). It is kept in this browser and sent as a
          Bearer token.
        </p>
        {getToken() && <p className="error-text">The saved token was refused.</p>}
        <input
          type="password"
          className="input"
          autoComplete="off"
          placeholder="API token"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          data-testid="token-input"
          data-autofocus
        />
      </form>
    </Modal>
  );
}
