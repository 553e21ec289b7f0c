// A notebook's environment specification is validated with messages people can act on, and
// normalised so that specifications meaning the same thing get the same environment id.

import { expect, test } from 'vitest';
import { type EnvironmentInputs, environmentId, normaliseEnvironmentSpec, readEnvironmentSpec } from '../../kernel-bridge/environments';
import { satisfiesPython } from '../../kernel-bridge/environments/python-version';

const normalise = (requirements: string[], extra: { python?: string; kernel?: string } = {}) =>
  normaliseEnvironmentSpec({ requirements, ...extra }, '/notebooks/project');

test('requirements are trimmed, named canonically, deduplicated and sorted', () => {
  const spec = normalise(['  Pandas  >= 2 , <3', 'requests[Socks, security]', 'Tiny_Pkg==1.0', 'tiny.pkg == 1.0', '', '# a comment']);
  expect(spec.requirements).toEqual(['pandas<3,>=2', 'requests[security,socks]', 'tiny-pkg==1.0']);
});

test('markers and direct references keep their meaning', () => {
  const spec = normalise(['numpy<2 ;  python_version < "3.9"', 'numpy>=2; python_version >= "3.9"', 'pkg @ https://example.org/pkg-1.0.whl']);
  expect(spec.requirements).toEqual(['numpy<2; python_version < "3.9"', 'numpy>=2; python_version >= "3.9"', 'pkg @ https://example.org/pkg-1.0.whl']);
});

test('index options are collected apart from the requirements, with relative folders made absolute', () => {
  const spec = normalise(['--find-links ./wheels', '-f=https://example.org/wheels/', '--no-index', '--index-url https://pypi.example/simple', 'x']);
  expect(spec.requirements).toEqual(['x']);
  expect(spec.index).toEqual({
    indexUrl: 'https://pypi.example/simple',
    extraIndexUrls: [],
    findLinks: ['/notebooks/project/wheels', 'https://example.org/wheels/'],
    noIndex: true,
  });
});

test('mistakes get messages that say how to fix them', () => {
  expect(() => normalise(['pandas=2.0'])).toThrow('use == to pin a version');
  expect(() => normalise(['pandas', 'Pandas>=2'])).toThrow('pandas is listed twice');
  expect(() => normalise(['-e .'])).toThrow('only --index-url, --extra-index-url, --find-links and --no-index');
  expect(() => normalise(['pkg https://example.org/x.whl'])).toThrow('"name @ URL"');
  expect(() => normalise(['numpy\nimport os'])).toThrow('line break');
  expect(() => normalise([], { python: '3.x' })).toThrow('python "3.x" is not a version constraint');
  expect(() => normalise([], { kernel: 'no spaces please' })).toThrow('is not a kernelspec name');
  expect(() => readEnvironmentSpec({ requirements: ['x'], packages: [] })).toThrow('"packages" is not a field');
  expect(() => readEnvironmentSpec({ requirements: 'pandas' })).toThrow('requirements must be array');
  expect(() => readEnvironmentSpec('pandas')).toThrow('metadata.tandem.environment');
});

test('python constraints accept bare versions and PEP 440 specifiers', () => {
  expect(normalise([], { python: '3.11' }).python).toBe('==3.11.*');
  expect(normalise([], { python: '>=3.10, <3.13' }).python).toBe('<3.13,>=3.10');
  expect(satisfiesPython('3.11.2', '3.11')).toBe(true);
  expect(satisfiesPython('3.11.2', '>=3.12')).toBe(false);
  expect(satisfiesPython('3.11.2', '~=3.10')).toBe(true);
  expect(satisfiesPython('3.11.2', '~=3.10.1')).toBe(false);
  expect(satisfiesPython('3.11.2', '!=3.11.*')).toBe(false);
  expect(satisfiesPython('3.11.2', '3.11.2')).toBe(true);
});

test('the environment id depends on what is installed and on what, and on nothing else', () => {
  const inputs: EnvironmentInputs = {
    base: { kind: 'interpreter', path: '/usr/bin/python3', version: '3.11.2' },
    requirements: normalise(['b', 'A==1']).requirements,
    index: normalise([]).index,
    installsKernel: false,
    helper: null,
  };
  const id = environmentId(inputs);
  expect(id).toMatch(/^[0-9a-f]{24}$/);
  expect(environmentId({ ...inputs, requirements: normalise(['a == 1', 'B']).requirements })).toBe(id);
  expect(environmentId({ ...inputs, requirements: normalise(['a==2', 'b']).requirements })).not.toBe(id);
  expect(environmentId({ ...inputs, base: { kind: 'interpreter', path: '/usr/bin/python3', version: '3.11.3' } })).not.toBe(id);
  expect(environmentId({ ...inputs, helper: '0123456789abcdef' })).not.toBe(id);
});
