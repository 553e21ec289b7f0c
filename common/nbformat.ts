// Notebook JSON as Tandem handles it in memory: nbformat 4, with every multi-line string
// joined into one string (the on-disk form splits them into lists of lines). Fields that a
// newer nbformat adds are kept, so the index signatures stay open.

export type JSONPrimitive = string | number | boolean | null;
export type JSONValue = JSONPrimitive | JSONValue[] | JSONObject;
export interface JSONObject {
  [key: string]: JSONValue;
}

export interface OutputJSON extends JSONObject {
  output_type: string;
}

export interface CellJSON extends JSONObject {
  cell_type: string;
  metadata: JSONObject;
}

export interface NotebookJSON {
  nbformat: number;
  nbformat_minor: number;
  metadata: JSONObject;
  cells: CellJSON[];
  [extra: string]: JSONValue;
}

export function isJSONObject(value: unknown): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const KNOWN_CELL_TYPES = ['code', 'markdown', 'raw'] as const;
export type KnownCellType = (typeof KNOWN_CELL_TYPES)[number];

export function isKnownCellType(value: unknown): value is KnownCellType {
  return typeof value === 'string' && (KNOWN_CELL_TYPES as readonly string[]).includes(value);
}

/** The pattern nbformat 4.5 gives cell ids. */
export const CELL_ID_PATTERN = /^[a-zA-Z0-9-_]{1,64}$/;
