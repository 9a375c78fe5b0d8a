import { describe, expect, it } from 'vitest';
import { copyName, firstSeedMetadata, parseCsv, seedFormat, seedsFileBody } from './seeds';

describe('seed files (Try it takes the first entry)', () => {
  it('JSON array of seeds: the metadata of the first', () => {
    const text = JSON.stringify([{ repetitions: 3, metadata: { topic: 'Python' } }, { metadata: { topic: 'Go' } }]);
    expect(firstSeedMetadata('seeds.json', text)).toEqual({ topic: 'Python' });
  });

  it('JSON single seed object, and a plain object taken as metadata', () => {
    expect(firstSeedMetadata('s.json', '{"metadata": {"a": 1}}')).toEqual({ a: 1 });
    expect(firstSeedMetadata('s.json', '[{"a": 1}]')).toEqual({ a: 1 });
  });

  it('JSONL: the first non-empty line', () => {
    expect(firstSeedMetadata('s.jsonl', '\n{"metadata": {"x": "y"}}\n{"metadata": {"x": "z"}}\n')).toEqual({ x: 'y' });
  });

  it('CSV: header + first row', () => {
    expect(firstSeedMetadata('s.csv', 'topic,level\n"Python, the language",beginner\nGo,expert\n')).toEqual({
      topic: 'Python, the language',
      level: 'beginner',
    });
  });

  it('refuses empty or malformed files with a message', () => {
    expect(() => firstSeedMetadata('s.json', '[]')).toThrow(/no seed/);
    expect(() => firstSeedMetadata('s.csv', 'only,header\n')).toThrow(/header row/);
    expect(() => firstSeedMetadata('s.json', '[1]')).toThrow(/JSON object/);
    expect(() => firstSeedMetadata('s.json', '{bad')).toThrow();
  });

  it('guesses the format from the name, else from the content', () => {
    expect(seedFormat('a.CSV', '')).toBe('csv');
    expect(seedFormat('a.ndjson', '')).toBe('jsonl');
    expect(seedFormat('blob', '[{}]')).toBe('json');
    expect(seedFormat('blob', '{"a":1}\n{"a":2}')).toBe('jsonl');
    expect(seedFormat('blob', '{\n "a": 1\n}')).toBe('json');
    expect(seedFormat('blob', 'a,b\n1,2')).toBe('csv');
  });
});

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, newlines in quotes, CRLF and a BOM', () => {
    expect(parseCsv('\uFEFFa,b\r\n"x ""y""","multi\nline"\r\n')).toEqual([
      ['a', 'b'],
      ['x "y"', 'multi\nline'],
    ]);
    expect(parseCsv('a,b\n1,')).toEqual([
      ['a', 'b'],
      ['1', ''],
    ]);
  });
});

describe('example seeds download and copy names', () => {
  it('writes the template seeds as a JSON file', () => {
    const seeds = [{ repetitions: 2, metadata: { a: 1 } }];
    expect(JSON.parse(seedsFileBody(seeds))).toEqual(seeds);
  });

  it('finds a free copy name', () => {
    expect(copyName('Q&A', [])).toBe('Q&A (copy)');
    expect(copyName('Q&A', [{ name: 'Q&A (copy)' }])).toBe('Q&A (copy 2)');
  });
});
