// The smaller endpoints Jupyter clients call on any Jupyter Server: the API version, one
// kernelspec and its logo, and front-end config sections (empty rather than missing).

import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;

beforeAll(async () => {
  server = await startTandem();
});
afterAll(async () => {
  await server?.stop();
});

test('GET /api answers with a version', async () => {
  const response = await server.api('GET', '/api');
  expect(response.status).toBe(200);
  expect((await response.json()).version).toMatch(/^\d+\.\d+/);
});

test('one kernelspec by name, with its logo among its resources', async () => {
  const response = await server.api('GET', '/api/kernelspecs/python3');
  expect(response.status).toBe(200);
  const spec = await response.json();
  expect(spec.name).toBe('python3');
  expect(spec.spec.language).toBe('python');
  const logo = spec.resources['logo-64x64'] as string;
  expect(logo).toBe('/kernelspecs/python3/logo-64x64.png');
  const image = await server.api('GET', logo);
  expect(image.status).toBe(200);
  expect(image.headers.get('content-type')).toBe('image/png');
  expect(
    Buffer.from(await image.arrayBuffer())
      .subarray(1, 4)
      .toString(),
  ).toBe('PNG');
  expect((await server.api('GET', '/api/kernelspecs/no-such-kernel')).status).toBe(404);
  expect((await server.api('GET', '/kernelspecs/python3/kernel.json')).status).toBe(404);
  expect((await server.api('GET', '/kernelspecs/python3/..%2Fpython3%2Flogo-64x64.png')).status).toBe(404);
});

test('config sections are empty objects, and need a token', async () => {
  const response = await server.api('GET', '/api/config/notebook');
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({});
  expect((await server.api('GET', '/api/config/notebook', undefined, null)).status).toBe(401);
});
