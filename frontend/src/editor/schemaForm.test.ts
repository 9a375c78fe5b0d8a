import { describe, expect, it } from 'vitest';
import type { ConfigSchema, JsonSchemaProperty } from '../api/types';
import {
  formatDraft,
  isEmptyValue,
  missingRequired,
  normalizeProperty,
  orderedProperties,
  parseDraft,
  propertyLabel,
  validateValue,
  widgetKind,
} from './schemaForm';

describe('widgetKind: JSON Schema property -> widget', () => {
  const cases: [string, JsonSchemaProperty, string][] = [
    ['string', { type: 'string' }, 'text'],
    ['nullable string', { type: ['string', 'null'], default: null }, 'text'],
    ['number', { type: 'number' }, 'number'],
    ['nullable number', { type: ['number', 'null'] }, 'number'],
    ['integer', { type: 'integer' }, 'integer'],
    ['nullable integer', { type: ['integer', 'null'] }, 'integer'],
    ['boolean', { type: 'boolean', default: false }, 'checkbox'],
    ['enum', { type: 'string', enum: ['a', 'b'] }, 'select'],
    ['nullable enum', { type: ['string', 'null'], enum: ['a', 'b', null] }, 'select'],
    ['field reference', { type: 'string', 'x-field-reference': true }, 'field-reference'],
    ['array of field references (flag on items)', { type: 'array', items: { type: 'string', 'x-field-reference': true } }, 'field-reference-list'],
    ['array of field references (flag on array)', { type: ['array', 'null'], items: { type: 'string' }, 'x-field-reference': true }, 'field-reference-list'],
    ['jinja template', { type: 'string', format: 'jinja' }, 'jinja'],
    ['json format', { type: ['object', 'null'], format: 'json' }, 'json'],
    ['object', { type: 'object' }, 'json'],
    ['array', { type: ['array', 'null'], items: { type: 'string' } }, 'json'],
    ['multiline', { type: 'string', format: 'multiline' }, 'multiline'],
    ['untyped', {}, 'json'],
    ['union of string and number', { type: ['string', 'number'] }, 'json'],
    ['pydantic anyOf nullable integer', { anyOf: [{ type: 'integer' }, { type: 'null' }] }, 'integer'],
    ['pydantic anyOf nullable enum', { anyOf: [{ type: 'string', enum: ['x', 'y'] }, { type: 'null' }] }, 'select'],
  ];
  it.each(cases)('%s', (_name, prop, kind) => {
    expect(widgetKind(prop)).toBe(kind);
  });

  it('renders the real built-in LLMBlock schema', () => {
    const schema: ConfigSchema = {
      type: 'object',
      properties: {
        user_prompt: { type: 'string', format: 'jinja' },
        system_prompt: { type: 'string', default: '', format: 'jinja' },
        model: { type: ['string', 'null'], default: null },
        temperature: { type: ['number', 'null'], default: null },
        max_tokens: { type: ['integer', 'null'], default: null },
        output_field: { type: 'string', default: 'assistant' },
      },
      required: ['user_prompt'],
    };
    expect(orderedProperties(schema).map(([k, p]) => [k, widgetKind(p)])).toEqual([
      ['user_prompt', 'jinja'],
      ['system_prompt', 'jinja'],
      ['model', 'text'],
      ['temperature', 'number'],
      ['max_tokens', 'integer'],
      ['output_field', 'text'],
    ]);
  });

  it('normalizes nullability', () => {
    expect(normalizeProperty({ type: ['number', 'null'] })).toMatchObject({ types: ['number'], nullable: true });
    expect(normalizeProperty({ type: 'number' })).toMatchObject({ types: ['number'], nullable: false });
    expect(normalizeProperty({ enum: ['a', null] })).toMatchObject({ enumValues: ['a'], nullable: true });
  });
});

describe('parseDraft: validation messages as you type', () => {
  it('numbers', () => {
    expect(parseDraft('number', '0.7', { type: 'number' })).toEqual({ value: 0.7, error: null });
    expect(parseDraft('number', ' 2 ', { type: 'number' })).toEqual({ value: 2, error: null });
    expect(parseDraft('number', 'abc', { type: 'number' })).toEqual({ value: undefined, error: 'Enter a number' });
    expect(parseDraft('number', '1e', { type: 'number' }).error).toBe('Enter a number');
    expect(parseDraft('number', '', { type: ['number', 'null'] })).toEqual({ value: null, error: null });
    expect(parseDraft('number', '', { type: 'number' })).toEqual({ value: undefined, error: null });
  });

  it('integers', () => {
    expect(parseDraft('integer', '12', { type: 'integer' })).toEqual({ value: 12, error: null });
    expect(parseDraft('integer', '1.5', { type: 'integer' })).toEqual({ value: undefined, error: 'Enter a whole number' });
  });

  it('ranges: the value is kept, with a message', () => {
    expect(parseDraft('number', '3', { type: 'number', maximum: 2 })).toEqual({ value: 3, error: 'Must be at most 2' });
    expect(parseDraft('integer', '0', { type: 'integer', minimum: 1 })).toEqual({ value: 0, error: 'Must be at least 1' });
    expect(parseDraft('number', '0', { type: 'number', exclusiveMinimum: 0 }).error).toBe('Must be more than 0');
  });

  it('JSON: parsed into real values, with type checks', () => {
    expect(parseDraft('json', '{"type": "object"}', { type: ['object', 'null'], format: 'json' })).toEqual({
      value: { type: 'object' },
      error: null,
    });
    expect(parseDraft('json', '["a", "b"]', { type: ['array', 'null'] })).toEqual({ value: ['a', 'b'], error: null });
    const bad = parseDraft('json', '{"a": ', { type: 'object' });
    expect(bad.value).toBeUndefined();
    expect(bad.error).toMatch(/^Invalid JSON/);
    expect(parseDraft('json', '[1]', { type: 'object' }).error).toBe('Expected a JSON object');
    expect(parseDraft('json', '{}', { type: 'array' }).error).toBe('Expected a JSON array');
    expect(parseDraft('json', 'null', { type: ['object', 'null'] })).toEqual({ value: null, error: null });
    expect(parseDraft('json', '', { type: ['object', 'null'] })).toEqual({ value: null, error: null });
    expect(parseDraft('json', '42', {})).toEqual({ value: 42, error: null });
  });

  it('formats stored values back into drafts', () => {
    expect(formatDraft('json', { a: 1 })).toBe('{\n  "a": 1\n}');
    expect(formatDraft('number', 0.5)).toBe('0.5');
    expect(formatDraft('json', null)).toBe('');
    expect(formatDraft('number', undefined)).toBe('');
  });
});

describe('validateValue', () => {
  it('flags required values left empty', () => {
    expect(validateValue({ type: 'string', format: 'jinja' }, '', true)).toBe('Required');
    expect(validateValue({ type: 'string' }, '   ', true)).toBe('Required');
    expect(validateValue({ type: 'string' }, undefined, true)).toBe('Required');
    expect(validateValue({ type: 'string' }, '', false)).toBeNull();
    // a default fills an unset value
    expect(validateValue({ type: 'string', default: 'assistant' }, undefined, true)).toBeNull();
  });

  it('checks types, enums, ranges and string constraints', () => {
    expect(validateValue({ type: 'number' }, 'x', false)).toBe('Expected a number');
    expect(validateValue({ type: 'integer' }, 1.5, false)).toBe('Expected an integer');
    expect(validateValue({ type: 'number' }, 2, false)).toBeNull();
    expect(validateValue({ type: 'number', maximum: 2 }, 2.5, false)).toBe('Must be at most 2');
    expect(validateValue({ type: 'string', enum: ['a', 'b'] }, 'c', false)).toBe('Must be one of: a, b');
    expect(validateValue({ type: 'string', minLength: 3 }, 'ab', false)).toBe('At least 3 characters');
    expect(validateValue({ type: 'string', pattern: '^[a-z]+$' }, 'AB', false)).toBe('Must match ^[a-z]+$');
    expect(validateValue({ type: ['object', 'null'] }, null, false)).toBeNull();
    expect(validateValue({ type: ['object', 'null'] }, [1], false)).toBe('Expected a JSON object');
  });
});

describe('missingRequired: the "Not Configured" badge', () => {
  const schema: ConfigSchema = {
    type: 'object',
    properties: {
      user_prompt: { type: 'string', format: 'jinja' },
      json_schema: { type: 'object', format: 'json' },
      field: { type: 'string', default: 'assistant', 'x-field-reference': true },
      flag: { type: 'boolean', default: false },
    },
    required: ['user_prompt', 'json_schema', 'field'],
  };

  it('lists required values without a value or default', () => {
    expect(missingRequired(schema, {})).toEqual(['user_prompt', 'json_schema']);
    expect(missingRequired(schema, { user_prompt: '  ' })).toEqual(['user_prompt', 'json_schema']);
    expect(missingRequired(schema, { user_prompt: 'Hi', json_schema: {} })).toEqual([]);
    expect(missingRequired(schema, { user_prompt: 'Hi', json_schema: {}, field: '' })).toEqual(['field']);
  });

  it('is empty for a block with no schema or nothing required', () => {
    expect(missingRequired(undefined, {})).toEqual([]);
    expect(missingRequired({ type: 'object', properties: {} }, {})).toEqual([]);
  });

  it('knows empty values', () => {
    expect(isEmptyValue(null)).toBe(true);
    expect(isEmptyValue('')).toBe(true);
    expect(isEmptyValue(0)).toBe(false);
    expect(isEmptyValue(false)).toBe(false);
    expect(isEmptyValue([])).toBe(false);
  });
});

describe('labels', () => {
  it('uses the key unless the title says more', () => {
    expect(propertyLabel('user_prompt', { title: 'User Prompt' })).toBe('User prompt');
    expect(propertyLabel('max_tokens', {})).toBe('Max tokens');
    expect(propertyLabel('temperature', { title: 'Sampling temperature' })).toBe('Sampling temperature');
  });
});
