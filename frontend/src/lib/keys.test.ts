import { describe, expect, it } from 'vitest';
import { isTypingTarget, reviewAction } from './keys';

/** A stand-in for a DOM element: enough for the checks (tag, contenteditable, ancestors). */
function el(tagName: string, opts: { editable?: boolean; inside?: string[] } = {}): EventTarget {
  return {
    tagName,
    isContentEditable: !!opts.editable,
    getAttribute: (name: string) => (name === 'contenteditable' && opts.editable ? 'true' : null),
    closest: (selector: string) =>
      (opts.inside ?? []).some((cls) => selector.split(',').some((s) => s.trim() === cls)) ? {} : null,
  } as unknown as EventTarget;
}

const key = (k: string, target: EventTarget = el('DIV'), mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey', boolean>> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
  target,
});

describe('review keys', () => {
  it('maps A, R, E, N, P (either case)', () => {
    expect(reviewAction(key('a'))).toBe('accept');
    expect(reviewAction(key('A'))).toBe('accept');
    expect(reviewAction(key('r'))).toBe('reject');
    expect(reviewAction(key('e'))).toBe('edit');
    expect(reviewAction(key('n'))).toBe('next');
    expect(reviewAction(key('p'))).toBe('previous');
    expect(reviewAction(key('x'))).toBeNull();
  });

  it('ignores keys typed in inputs, textareas, selects, CodeMirror and dialogs', () => {
    expect(reviewAction(key('a', el('INPUT')))).toBeNull();
    expect(reviewAction(key('a', el('TEXTAREA')))).toBeNull();
    expect(reviewAction(key('a', el('SELECT')))).toBeNull();
    expect(reviewAction(key('a', el('DIV', { editable: true })))).toBeNull();
    expect(reviewAction(key('a', el('SPAN', { inside: ['.cm-editor'] })))).toBeNull();
    expect(reviewAction(key('a', el('BUTTON', { inside: ['[role="dialog"]'] })))).toBeNull();
    expect(isTypingTarget(null)).toBe(false);
  });

  it('ignores shortcuts with modifiers (Ctrl+A selects all)', () => {
    expect(reviewAction(key('a', el('DIV'), { ctrlKey: true }))).toBeNull();
    expect(reviewAction(key('r', el('DIV'), { metaKey: true }))).toBeNull();
  });
});
