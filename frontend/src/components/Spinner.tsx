export function Spinner({ small }: { small?: boolean }) {
  return <span className={`spinner${small ? ' small' : ''}`} role="status" aria-label="working" />;
}
