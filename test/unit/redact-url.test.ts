import { expect, test } from 'vitest';
import { redactUrl } from '../../server/log';

test('a token in the query is masked however its name is spelled', () => {
  expect(redactUrl('/api/me?token=s3cret')).toBe('/api/me?token=[redacted]');
  expect(redactUrl('/api/me?a=1&TOKEN=s3cret&b=2')).toBe('/api/me?a=1&TOKEN=[redacted]&b=2');
  expect(redactUrl('/api/me?%74oken=s3cret')).toBe('/api/me?%74oken=[redacted]');
  expect(redactUrl('/api/me?%54%4f%4b%45%4E=s3cret#x')).toBe('/api/me?%54%4f%4b%45%4E=[redacted]#x');
  expect(redactUrl('/x?tok%65n=s3cret&token=again')).not.toContain('s3cret');
});

test('everything else is left as it was, malformed escapes included', () => {
  expect(redactUrl('/api/contents/a%20b.ipynb')).toBe('/api/contents/a%20b.ipynb');
  expect(redactUrl('/api/me?path=%E0%A4%A&tokens=1')).toBe('/api/me?path=%E0%A4%A&tokens=1');
  expect(redactUrl('/api/me?%zz=1')).toBe('/api/me?%zz=1');
});
