import { useEffect, useRef } from 'react';
import { Annotation, EditorState, Transaction, type Extension } from '@codemirror/state';
import { EditorView, keymap, placeholder as cmPlaceholder, drawSelection, highlightActiveLine } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, HighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { jinja2 } from '@codemirror/legacy-modes/mode/jinja2';
import { json } from '@codemirror/lang-json';
import { tags as t } from '@lezer/highlight';

export type CodeLanguage = 'jinja' | 'json' | 'text';

const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.operatorKeyword], color: 'var(--syn-keyword)', fontWeight: '600' },
  { tag: [t.variableName, t.propertyName], color: 'var(--syn-variable)' },
  { tag: [t.string, t.special(t.string)], color: 'var(--syn-string)' },
  { tag: [t.number, t.bool, t.null, t.atom], color: 'var(--syn-number)' },
  { tag: [t.comment, t.lineComment, t.blockComment], color: 'var(--syn-comment)', fontStyle: 'italic' },
  { tag: [t.tagName, t.bracket, t.brace, t.squareBracket], color: 'var(--syn-tag)' },
  { tag: [t.operator, t.punctuation, t.separator], color: 'var(--syn-operator)' },
]);

const theme = EditorView.theme({
  '&': {
    fontSize: '12.5px',
    backgroundColor: 'var(--input-bg)',
    color: 'var(--text)',
    border: '1px solid var(--border)',
    borderRadius: '6px',
  },
  '&.cm-focused': { outline: '2px solid var(--accent)', outlineOffset: '-1px' },
  '.cm-content': { fontFamily: 'var(--mono)', caretColor: 'var(--text)', padding: '6px 0' },
  '.cm-line': { padding: '0 8px' },
  '.cm-scroller': { overflow: 'auto' },
  '.cm-activeLine': { backgroundColor: 'var(--active-line)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'var(--selection) !important',
  },
  '.cm-placeholder': { color: 'var(--muted)' },
  '.cm-cursor': { borderLeftColor: 'var(--text)' },
});

function languageExtension(language: CodeLanguage): Extension {
  if (language === 'jinja') return StreamLanguage.define(jinja2);
  if (language === 'json') return json();
  return [];
}

interface Props {
  value: string;
  onChange?: (value: string) => void;
  language: CodeLanguage;
  minHeight?: number;
  maxHeight?: number;
  readOnly?: boolean;
  placeholder?: string;
  testId?: string;
  ariaLabel?: string;
  invalid?: boolean;
}

/** Marks the transactions that sync the editor to its `value` prop. */
const external = Annotation.define<boolean>();

/** A small CodeMirror 6 editor (Jinja or JSON), controlled by `value`. */
export function CodeEditor({
  value,
  onChange,
  language,
  minHeight = 80,
  maxHeight = 360,
  readOnly = false,
  placeholder,
  testId,
  ariaLabel,
  invalid,
}: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);

  useEffect(() => {
    onChangeRef.current = onChange;
  }, [onChange]);

  useEffect(() => {
    if (!host.current) return;
    const state = EditorState.create({
      doc: value,
      extensions: [
        history(),
        drawSelection(),
        highlightActiveLine(),
        bracketMatching(),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.lineWrapping,
        languageExtension(language),
        syntaxHighlighting(highlight),
        theme,
        EditorView.theme({
          '&': { minHeight: `${minHeight}px`, maxHeight: `${maxHeight}px` },
          '.cm-scroller': { minHeight: `${minHeight}px` },
        }),
        EditorState.readOnly.of(readOnly),
        EditorView.editable.of(!readOnly),
        EditorView.contentAttributes.of({ 'aria-label': ariaLabel ?? 'code editor', spellcheck: 'false' }),
        placeholder ? cmPlaceholder(placeholder) : [],
        EditorView.updateListener.of((update) => {
          // a value set from outside (load, undo on the canvas) is not the user's change
          if (update.docChanged && !update.transactions.some((t) => t.annotation(external)))
            onChangeRef.current?.(update.state.doc.toString());
        }),
      ],
    });
    const v = new EditorView({ state, parent: host.current });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // the editor is created once per mount; value changes are synced below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [language, readOnly, minHeight, maxHeight, placeholder, ariaLabel]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const current = v.state.doc.toString();
    if (current !== value)
      v.dispatch({
        changes: { from: 0, to: current.length, insert: value },
        annotations: [external.of(true), Transaction.addToHistory.of(false)],
      });
  }, [value]);

  return <div ref={host} className={`code-editor${invalid ? ' invalid' : ''}`} data-testid={testId} data-language={language} />;
}
