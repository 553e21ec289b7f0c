import { expect, test } from 'vitest';
import { SendBudget } from '../../server/transport/send-budget';

const MB = 1024 * 1024;

test('one socket is cut off past its own limit', () => {
  const allowance = new SendBudget(100 * MB, 10 * MB).allowance();
  expect(allowance.admit(9 * MB)).toBe(true);
  expect(allowance.admit(11 * MB)).toBe(false);
});

test('past the total, sockets holding much are cut off and those keeping up are not', () => {
  const budget = new SendBudget(20 * MB, 16 * MB);
  const slow = [budget.allowance(), budget.allowance()];
  const reader = budget.allowance();
  expect(slow[0].admit(12 * MB)).toBe(true);
  expect(slow[1].admit(12 * MB)).toBe(false);
  expect(reader.admit(0)).toBe(true);
  expect(reader.admit(64 * 1024)).toBe(true);
  // Releasing a socket gives its share back.
  slow[1].release();
  expect(budget.held).toBe(12 * MB + 64 * 1024);
  expect(budget.allowance().admit(7 * MB)).toBe(true);
});

test('the total follows what each socket holds now, not what it once held', () => {
  const budget = new SendBudget(20 * MB, 16 * MB);
  const a = budget.allowance();
  expect(a.admit(15 * MB)).toBe(true);
  expect(a.admit(1 * MB)).toBe(true);
  expect(budget.held).toBe(1 * MB);
  a.release();
  a.release();
  expect(budget.held).toBe(0);
});
