// How deeply a JSON value nests, measured without recursion: values built to nest thousands
// deep would overflow the stack of the measuring code itself.

export function nestsDeeperThan(root: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (depth > limit) return true;
    if (value === null || typeof value !== 'object') continue;
    const children = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** Deeper than any real notebook's metadata or outputs nest. */
export const MAX_JSON_NESTING = 128;
