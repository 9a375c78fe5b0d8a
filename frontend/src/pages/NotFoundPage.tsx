import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <div className="page" data-testid="page-not-found">
      <h1>Page not found</h1>
      <p>
        Nothing lives at this address. Go to the <Link to="/pipelines">pipelines</Link>.
      </p>
    </div>
  );
}
