// One line of a notebook's requirements, read the way pip reads a requirements file: either a
// PEP 508 requirement ("pandas>=2,<3", "requests[socks]", "pkg @ https://…") or one of the few
// index options that say where packages come from. Each is put in one canonical spelling, so
// that equivalent lists hash to the same environment.

export type RequirementLine = { kind: 'requirement'; name: string; text: string; hasMarker: boolean } | { kind: 'option'; option: IndexOption; value?: string };

export type IndexOption = '--index-url' | '--extra-index-url' | '--find-links' | '--no-index';

const OPTION_ALIASES: Record<string, IndexOption> = {
  '--index-url': '--index-url',
  '-i': '--index-url',
  '--extra-index-url': '--extra-index-url',
  '--find-links': '--find-links',
  '-f': '--find-links',
  '--no-index': '--no-index',
};

export class InvalidRequirement extends Error {
  constructor(
    readonly line: string,
    reason: string,
  ) {
    super(`"${line}" is not a requirement pip understands: ${reason}`);
    this.name = 'InvalidRequirement';
  }
}

// PEP 508: letters, digits and . _ -, starting and ending with a letter or digit.
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/;
const EXTRAS = /^\[\s*([A-Za-z0-9][A-Za-z0-9._-]*(?:\s*,\s*[A-Za-z0-9][A-Za-z0-9._-]*)*)?\s*\]/;
const CLAUSE = /^(~=|===|==|!=|<=|>=|<|>)\s*([A-Za-z0-9.*+!_-]+)$/;

/** PEP 503 normalised project name: lower case, runs of - _ . become one -. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function parseRequirementLine(raw: string): RequirementLine {
  const line = raw.trim();
  if (!line) throw new InvalidRequirement(raw, 'it is empty');
  if (/[\u0000-\u001f\u007f]/.test(line)) throw new InvalidRequirement(raw, 'it contains a line break or control character');
  if (line.startsWith('-')) return parseOption(line);
  return parseRequirement(line);
}

function parseOption(line: string): RequirementLine {
  const match = /^(-[A-Za-z]|--[a-z-]+)(?:\s*=\s*|\s+)?(.*)$/.exec(line);
  const option = match ? OPTION_ALIASES[match[1]] : undefined;
  if (!match || !option) {
    throw new InvalidRequirement(line, 'only --index-url, --extra-index-url, --find-links and --no-index may be given as options');
  }
  const value = match[2].trim();
  if (option === '--no-index') {
    if (value) throw new InvalidRequirement(line, '--no-index takes no value');
    return { kind: 'option', option };
  }
  if (!value || /\s/.test(value)) throw new InvalidRequirement(line, `${option} needs one URL or directory`);
  return { kind: 'option', option, value };
}

function parseRequirement(line: string): RequirementLine {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new InvalidRequirement(line, 'it must start with a package name');
  let rest = line.slice(name.length).trimStart();
  let extras = '';
  const extrasMatch = EXTRAS.exec(rest);
  if (extrasMatch) {
    const list = (extrasMatch[1] ?? '')
      .split(',')
      .map((e) => canonicalName(e.trim()))
      .filter(Boolean);
    extras = list.length ? `[${[...new Set(list)].sort().join(',')}]` : '';
    rest = rest.slice(extrasMatch[0].length).trimStart();
  } else if (rest.startsWith('[')) {
    throw new InvalidRequirement(line, 'its [extras] are malformed');
  }
  const semicolon = rest.indexOf(';');
  const body = (semicolon === -1 ? rest : rest.slice(0, semicolon)).trim();
  const marker =
    semicolon === -1
      ? ''
      : rest
          .slice(semicolon + 1)
          .trim()
          .replace(/\s+/g, ' ');
  if (semicolon !== -1 && !marker) throw new InvalidRequirement(line, 'nothing follows the ";"');

  let version = '';
  if (body.startsWith('@')) {
    const url = body.slice(1).trim();
    if (!/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(url)) throw new InvalidRequirement(line, 'a direct reference needs a URL after "@"');
    version = ` @ ${url}`;
  } else if (body) {
    version = normaliseSpecifiers(line, body);
  }
  const canonical = canonicalName(name);
  // A URL must be followed by a space before the marker, or pip reads the ";" as part of it.
  const text = `${canonical}${extras}${version}${marker ? `${version.startsWith(' @') ? ' ' : ''}; ${marker}` : ''}`;
  return { kind: 'requirement', name: canonical, text, hasMarker: marker !== '' };
}

function normaliseSpecifiers(line: string, body: string): string {
  const inner = body.startsWith('(') && body.endsWith(')') ? body.slice(1, -1) : body;
  const clauses = inner.split(',').map((clause) => clause.trim());
  const normalised = clauses.map((clause) => {
    const match = CLAUSE.exec(clause.replace(/\s+/g, ''));
    if (!match) {
      const hint = /^=[^=]/.test(clause) ? ': use == to pin a version' : /:\/\//.test(clause) ? ': write a URL as "name @ URL"' : '';
      throw new InvalidRequirement(line, `"${clause}" is not a version specifier such as ==1.2 or >=2${hint}`);
    }
    return `${match[1]}${match[2]}`;
  });
  // The order of clauses does not change what they allow.
  return [...new Set(normalised)].sort().join(',');
}
