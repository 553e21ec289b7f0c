// Named database connections for SQL cells, from `--connections FILE`: a JSON object
// `{name: {type, ...}}`. Credentials come from the file or from environment variables named in
// it; they stay inside the server: never in the document, outputs, snapshots or logs. The
// embedded demo database is always there as `demo`, unless the file gives that name to another.

import { readFileSync } from 'node:fs';
import { Ajv, type JSONSchemaType } from 'ajv';
import { ConfigError } from '../config';

export interface PostgresConnection {
  type: 'postgres';
  /** postgres://user:password@host:port/database?sslmode=... */
  url?: string;
  /** An environment variable that holds the URL (whole, credentials included). */
  urlEnv?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** An environment variable that holds the password. */
  passwordEnv?: string;
  ssl?: boolean;
  /** Queries run at once on this connection; later ones wait in the `queued` phase. */
  maxConcurrent?: number;
}

export interface DemoConnection {
  type: 'demo';
}

/** A connection ready to use: credentials resolved. */
export type ResolvedConnection =
  | { name: string; type: 'postgres'; maxConcurrent: number; client: PostgresClientConfig }
  | { name: string; type: 'demo'; maxConcurrent: number };

export interface PostgresClientConfig {
  connectionString?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  ssl?: boolean;
}

export const DEMO_CONNECTION = 'demo';
const DEFAULT_MAX_CONCURRENT = 4;

const postgresSchema: JSONSchemaType<PostgresConnection> = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { type: 'string', const: 'postgres' },
    url: { type: 'string', nullable: true, minLength: 1 },
    urlEnv: { type: 'string', nullable: true, minLength: 1 },
    host: { type: 'string', nullable: true, minLength: 1 },
    port: { type: 'integer', nullable: true, minimum: 1, maximum: 65535 },
    database: { type: 'string', nullable: true, minLength: 1 },
    user: { type: 'string', nullable: true, minLength: 1 },
    password: { type: 'string', nullable: true },
    passwordEnv: { type: 'string', nullable: true, minLength: 1 },
    ssl: { type: 'boolean', nullable: true },
    maxConcurrent: { type: 'integer', nullable: true, minimum: 1, maximum: 64 },
  },
};
const demoSchema: JSONSchemaType<DemoConnection> = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: { type: { type: 'string', const: 'demo' } },
};

const ajv = new Ajv({ allErrors: false });
const validators = { postgres: ajv.compile(postgresSchema), demo: ajv.compile(demoSchema) };
const CONNECTION_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Reads an environment variable that holds a secret. Only TANDEM_* names are allowed: kernels do
 * not inherit those (see kernel-bridge's kernelEnv), so code in a notebook cannot read them.
 */
function secretFromEnv(connection: string, field: string, variable: string, env: NodeJS.ProcessEnv): string {
  if (!variable.startsWith('TANDEM_')) {
    throw new ConfigError(
      `Connection "${connection}": ${field} must name a TANDEM_* variable (kernels do not inherit those, so notebook code cannot read the secret); rename ${variable} to TANDEM_${variable}`,
    );
  }
  const value = env[variable];
  if (value === undefined) throw new ConfigError(`Connection "${connection}": the environment variable ${variable} is not set`);
  return value;
}

function resolvePostgres(name: string, spec: PostgresConnection, env: NodeJS.ProcessEnv): ResolvedConnection {
  if (spec.url && spec.urlEnv) throw new ConfigError(`Connection "${name}": give url or urlEnv, not both`);
  if (spec.password !== undefined && spec.passwordEnv) throw new ConfigError(`Connection "${name}": give password or passwordEnv, not both`);
  const connectionString = spec.urlEnv ? secretFromEnv(name, 'urlEnv', spec.urlEnv, env) : spec.url;
  const client: PostgresClientConfig = {
    connectionString,
    host: spec.host,
    port: spec.port,
    database: spec.database,
    user: spec.user,
    password: spec.passwordEnv ? secretFromEnv(name, 'passwordEnv', spec.passwordEnv, env) : spec.password,
    ssl: spec.ssl,
  };
  for (const key of Object.keys(client) as (keyof PostgresClientConfig)[]) if (client[key] === undefined) delete client[key];
  return { name, type: 'postgres', maxConcurrent: spec.maxConcurrent ?? DEFAULT_MAX_CONCURRENT, client };
}

/** Validates a parsed connections file; throws ConfigError naming the connection and field. */
export function parseConnections(raw: unknown, env: NodeJS.ProcessEnv): Map<string, ResolvedConnection> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('The connections file must hold a JSON object: {"name": {"type": "postgres", ...}}');
  }
  const connections = new Map<string, ResolvedConnection>([[DEMO_CONNECTION, { name: DEMO_CONNECTION, type: 'demo', maxConcurrent: 1 }]]);
  for (const [name, spec] of Object.entries(raw as Record<string, unknown>)) {
    if (!CONNECTION_NAME.test(name)) throw new ConfigError(`Connection name "${name}" must be a word of letters, digits, _ . or - (up to 64)`);
    const type = (spec as { type?: unknown } | null)?.type;
    if (type !== 'postgres' && type !== 'demo') throw new ConfigError(`Connection "${name}": type must be "postgres" or "demo"`);
    const validate = validators[type];
    if (!validate(spec)) {
      const error = validate.errors?.[0];
      const where = error?.instancePath ? error.instancePath.slice(1) : (error?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      throw new ConfigError(`Connection "${name}": ${where ? `${where} ` : ''}${error?.message ?? 'is not valid'}`);
    }
    connections.set(name, type === 'demo' ? { name, type: 'demo', maxConcurrent: 1 } : resolvePostgres(name, spec as PostgresConnection, env));
  }
  return connections;
}

/** The connections of a server: the demo database, plus those in the file if one is given. */
export function loadConnections(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Map<string, ResolvedConnection> {
  if (!file) return parseConnections({}, env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the connections file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`The connections file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConnections(raw, env);
}
