import { expect, test } from 'vitest';
import { sameOriginPath } from '../../client/src/lib/render/same-origin';

const ORIGIN = 'http://127.0.0.1:8888';

test('paths on this server are kept', () => {
  expect(sameOriginPath('/api/notebooks/f/outputs/k', ORIGIN)).toBe('/api/notebooks/f/outputs/k');
  expect(sameOriginPath('/a/b?x=1#y', ORIGIN)).toBe('/a/b?x=1#y');
});

test('anything the browser would read as another site is refused', () => {
  for (const url of [
    '//evil.example/x',
    '/\\evil.example/x',
    '/\t/evil.example',
    '/\n/evil.example',
    '\\\\evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    ' /x',
    '',
  ]) {
    expect(sameOriginPath(url, ORIGIN), JSON.stringify(url)).toBeNull();
  }
  expect(sameOriginPath(undefined, ORIGIN)).toBeNull();
  expect(sameOriginPath(42, ORIGIN)).toBeNull();
});
