// @jupyter/ydoc builds standalone cells, on which Yjs warns "Invalid access: Add Yjs type to a
// document before reading data" once per cell. Harmless, but it buries real output; filter it.
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]): void => {
  if (typeof args[0] === 'string' && args[0].startsWith('Invalid access')) return;
  warn(...args);
};
