/** Whether a key press belongs to a text field (inputs, textareas, selects, CodeMirror, contenteditable). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const el = target as HTMLElement;
  const tag = el.tagName;
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (el.isContentEditable || el.getAttribute('contenteditable') === 'true') return true;
  return !!el.closest('.cm-editor, [contenteditable="true"], [role="dialog"]');
}

export type ReviewAction = 'accept' | 'reject' | 'edit' | 'next' | 'previous';

/** Review shortcuts: A accept, R reject, E edit, N next, P previous (no modifiers). */
export function reviewAction(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target'>): ReviewAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (isTypingTarget(e.target)) return null;
  switch (e.key.toLowerCase()) {
    case 'a':
      return 'accept';
    case 'r':
      return 'reject';
    case 'e':
      return 'edit';
    case 'n':
    case 'j':
    case 'arrowdown':
      return 'next';
    case 'p':
    case 'k':
    case 'arrowup':
      return 'previous';
    default:
      return null;
  }
}
