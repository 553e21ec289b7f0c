// Label values and resource amounts from untrusted input (issue 19): any notebook id or path
// becomes a valid, distinct label value; sizes and CPU amounts are read strictly, and a request
// beyond the server's maximum is refused in words.

import { describe, expect, test } from 'vitest';
import { labelValue } from '../../kernel-bridge/kubernetes/labels';
import { parseCpu, parseMemory, resolveResources } from '../../kernel-bridge/kubernetes/resources';

const VALID = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;
const policy = { defaults: { memoryBytes: 2 ** 30, cpuMillis: 1000 }, max: { memoryBytes: 4 * 2 ** 30, cpuMillis: 2000 } };

describe('label values', () => {
  test('valid values are kept as they are', () => {
    for (const value of ['3f0c9a57-6a1b-4c36-9b1e-1f2d3c4b5a69', 'abc', 'a.b_c-d']) expect(labelValue(value)).toBe(value);
  });

  test.each(['ünïcødé 数据 📊.ipynb', 'x'.repeat(500), '...dots...', '.hidden', 'ends-with-dash-', '数据', '', 'a/b/c.ipynb', '"quoted" $(id)'])(
    '%s becomes a valid value',
    (input) => {
      const value = labelValue(input);
      expect(value).toMatch(VALID);
      expect(value.length).toBeLessThanOrEqual(63);
      if (input) expect(value).not.toBe('');
    },
  );

  test('different inputs that look alike stay different', () => {
    expect(labelValue('a b')).not.toBe(labelValue('a-b'));
    expect(labelValue(`${'x'.repeat(100)}1`)).not.toBe(labelValue(`${'x'.repeat(100)}2`));
    expect(labelValue('数据')).not.toBe(labelValue('数字'));
  });
});

describe('resources', () => {
  test('sizes and CPU amounts', () => {
    expect(parseMemory('512m')).toBe(512 * 2 ** 20);
    expect(parseMemory('2Gi')).toBe(2 * 2 ** 30);
    expect(parseMemory('1.5g')).toBe(1.5 * 2 ** 30);
    expect(parseMemory('lots')).toBeUndefined();
    expect(parseMemory('-1g')).toBeUndefined();
    expect(parseCpu('0.5')).toBe(500);
    expect(parseCpu('250m')).toBe(250);
    expect(parseCpu('0')).toBeUndefined();
    expect(parseCpu('two')).toBeUndefined();
  });

  test('a notebook gets the defaults, or what it asks for within the maximum', () => {
    expect(resolveResources(policy, undefined)).toEqual(policy.defaults);
    expect(resolveResources(policy, { memory: '3g' })).toEqual({ memoryBytes: 3 * 2 ** 30, cpuMillis: 1000 });
    expect(resolveResources(policy, { cpus: 2 })).toEqual({ memoryBytes: 2 ** 30, cpuMillis: 2000 });
  });

  test('more than the maximum, or anything malformed, is refused in words', () => {
    expect(() => resolveResources(policy, { memory: '8g' })).toThrow('asks for 8 GiB of memory, more than the 4 GiB this server allows a kernel');
    expect(() => resolveResources(policy, { cpus: '3' })).toThrow('asks for 3 CPUs, more than the 2 CPUs this server allows a kernel');
    expect(() => resolveResources(policy, { memory: '1k' })).toThrow('at least 64m');
    expect(() => resolveResources(policy, { memory: { $gt: 1 } })).toThrow('must be a size');
    expect(() => resolveResources(policy, 'all of it')).toThrow('must be an object');
    expect(() => resolveResources(policy, { hostNetwork: true })).toThrow('may hold only memory and cpus, not hostNetwork');
  });
});
