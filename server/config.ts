// `tandem serve` settings. Every flag can also come from a TANDEM_* environment variable;
// flags win. Defaults are the embedded, single-process mode.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCpu, parseMemory } from '../kernel-bridge/kubernetes/resources';

/**
 * Where a root's Tandem data lives when not told: outside the root, so a notebook folder
 * (synced, shared, committed) never carries the server token or the cookie secret. One folder
 * per root, named after it. A root that already has `ROOT/.tandem`, where earlier versions kept
 * it, goes on using that: its tokens, share links, history and environments stay as they were.
 */
export function defaultStateDir(root: string, env: Record<string, string | undefined>): string {
  const earlier = join(root, '.tandem');
  if (existsSync(earlier)) return earlier;
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  const id = createHash('sha256').update(root).digest('hex').slice(0, 12);
  return join(base, 'tandem', `${basename(root) || 'root'}-${id}`);
}

export interface Config {
  host: string;
  port: number;
  /** The port was chosen by the user (so a busy port is an error, not a cue to try the next). */
  portExplicit: boolean;
  root: string;
  /** Server token given by the user; undefined means the one kept in the state directory (made at first start). */
  token: string | undefined;
  /** Replace the kept server token with a new one at start: old links and owner sessions stop working. */
  rotateToken: boolean;
  stateDir: string;
  allowOrigins: string[];
  roomGraceMs: number;
  logLevel: string;
  logFormat: 'pretty' | 'json';
  maxMessageBytes: number;
  maxBufferedBytes: number;
  /** What all clients together may have waiting to be sent before the slowest are cut off. */
  sendBudgetBytes: number;
  /** Room sockets one share link may hold open. */
  maxSocketsPerLink: number;
  /** Room sockets opened with share links that one address may hold open. */
  maxSocketsPerAddress: number;
  saveDelayMs: number;
  saveMaxDelayMs: number;
  watchIntervalMs: number;
  compactBytes: number;
  pingIntervalMs: number;
  /** For benchmarks: each run's step times are appended here (execution/run-timings.ts). */
  runTimingsFile: string | undefined;
  defaultKernel: string;
  /** Shut a kernel down after this long without activity; 0 never. */
  cullIdleMs: number;
  /** Start a notebook's kernel as soon as an editor opens it. */
  kernelPrestart: boolean;
  /** JSON file naming database connections for SQL cells; undefined: only the demo database. */
  connectionsFile: string | undefined;
  /** Where built notebook environments are cached. */
  envCacheDir: string;
  /** Kernels of the default environment kept started ahead of time. */
  warmPool: number;
  /** Containers in the warm pool too (--runtime container); off by default, see kernel-runtime.ts. */
  warmContainers: boolean;
  /** Environments unused for this long are deleted; 0 never. */
  envGcMs: number;
  /** How environments are built: uv when available (auto), uv only, or venv and pip only. */
  envInstaller: 'auto' | 'uv' | 'pip';
  /** Where kernels run: local processes, one podman container per notebook, or one pod per notebook. */
  runtime: 'local' | 'container' | 'kubernetes';
  /** The Python base image of kernel images (container runtime). */
  kernelBaseImage: string;
  /** Memory limit of each kernel container (podman's --memory), or undefined for none. */
  kernelMemory: string | undefined;
  /** CPUs for each kernel container (podman's --cpus), or undefined for no limit. */
  kernelCpus: string | undefined;
  /** Processes and threads each kernel container may have at once. */
  kernelPids: number;
  /** The Kubernetes runtime's cluster and where its kernels go. */
  kubernetes: KubernetesConfig;
  /** Make a version once editing has paused this long. */
  versionPauseMs: number;
  /** At most one automatic version per this long (and one at least, while editing goes on). */
  versionIntervalMs: number;
  /** Keep every version this many days; older ones thin out to one a day. */
  versionKeepDays: number;
  /** What drives scheduled jobs: the system clock, or POST /api/scheduler/tick (tests). */
  schedulerClock: 'system' | 'manual';
  /** Where notebook histories and versions are kept: the state directory, or a bucket. */
  storage: StorageConfig;
  /** Jobs (headless runs) that run at once; later ones wait, queued. */
  maxJobs: number;
  /** Cluster mode: the Redis that replicas join through; undefined runs one process alone. */
  redisUrl: string | undefined;
  /** Cluster mode: how long a notebook's lease lives without renewal (failover takes about this long). */
  leaseMs: number;
  /** Cluster mode: the address other replicas reach this one at (default: from --host and the port). */
  advertiseUrl: string | undefined;
}

export interface KubernetesConfig {
  /** A kubeconfig file; undefined: in-cluster (or $KUBECONFIG). */
  kubeconfig: string | undefined;
  namespace: string;
  /** The image kernel pods run when there is no registry. */
  image: string;
  /**
   * A registry (http://host:port or https://host/path) that environment images, built here with
   * podman, are pushed to and pulled from; undefined: every kernel runs `image`.
   */
  registry: string | undefined;
  /** Most a notebook may ask for (metadata.tandem.resources); the defaults are --kernel-memory and --kernel-cpus. */
  memoryMax: string;
  cpusMax: string;
  /** A PersistentVolumeClaim holding the served root, mounted as each kernel's notebook folder. */
  workspaceClaim: string | undefined;
}

export type StorageConfig =
  | { kind: 'fs' }
  /** `endpoint`: an S3-compatible server (path-style addressing); otherwise the SDK's chain. */
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      endpoint: string | undefined;
      /** How often an open notebook's .ipynb is checked in the bucket (one HEAD) for changes by other tools. */
      checkMs: number;
    };

interface OptionSpec {
  flag: string;
  env: string;
  help: string;
  default?: string;
  /** A switch: `--flag` alone means true. */
  boolean?: true;
}

const OPTIONS: OptionSpec[] = [
  { flag: 'host', env: 'TANDEM_HOST', help: 'interface to listen on', default: '127.0.0.1' },
  { flag: 'port', env: 'TANDEM_PORT', help: 'port to listen on (0 picks a free one)', default: '8888' },
  { flag: 'root', env: 'TANDEM_ROOT', help: 'folder of notebooks to serve', default: join(homedir(), 'tandem') },
  { flag: 'token', env: 'TANDEM_TOKEN', help: 'server token (default: made at first start and kept in the state directory)' },
  { flag: 'rotate-token', env: 'TANDEM_ROTATE_TOKEN', help: 'make a new server token: old links and owner sign-ins stop working', boolean: true },
  { flag: 'state-dir', env: 'TANDEM_STATE_DIR', help: "Tandem's own data (default: per root, under $XDG_STATE_HOME/tandem; ROOT/.tandem if it exists)" },
  { flag: 'allow-origin', env: 'TANDEM_ALLOW_ORIGIN', help: 'extra browser origins allowed, comma-separated' },
  { flag: 'room-grace', env: 'TANDEM_ROOM_GRACE', help: 'seconds an empty room stays loaded', default: '30' },
  { flag: 'save-delay', env: 'TANDEM_SAVE_DELAY', help: 'seconds of quiet before a notebook is saved', default: '1' },
  { flag: 'max-message-mb', env: 'TANDEM_MAX_MESSAGE_MB', help: 'largest WebSocket message accepted', default: '32' },
  { flag: 'client-buffer-mb', env: 'TANDEM_CLIENT_BUFFER_MB', help: 'disconnect a client once this much waits to be sent to it', default: '64' },
  {
    flag: 'send-budget-mb',
    env: 'TANDEM_SEND_BUDGET_MB',
    help: 'disconnect the slowest clients once this much waits to be sent to all of them',
    default: '256',
  },
  { flag: 'max-link-sockets', env: 'TANDEM_MAX_LINK_SOCKETS', help: 'connections one share link may hold open', default: '10000' },
  { flag: 'max-address-sockets', env: 'TANDEM_MAX_ADDRESS_SOCKETS', help: 'share-link connections one client address may hold open', default: '1000' },
  { flag: 'run-timings', env: 'TANDEM_RUN_TIMINGS', help: "for benchmarks: append each run's step times to this file (JSON lines)" },
  { flag: 'default-kernel', env: 'TANDEM_DEFAULT_KERNEL', help: 'kernelspec for notebooks that name none', default: 'python3' },
  { flag: 'cull-idle', env: 'TANDEM_CULL_IDLE', help: 'seconds before an idle kernel is shut down (0: never)', default: '3600' },
  { flag: 'kernel-prestart', env: 'TANDEM_KERNEL_PRESTART', help: 'start the kernel when an editor opens a notebook (true/false)', default: 'false' },
  { flag: 'connections', env: 'TANDEM_CONNECTIONS', help: 'JSON file of database connections for SQL cells' },
  { flag: 'env-cache', env: 'TANDEM_ENV_CACHE', help: 'cache of built notebook environments (default STATE/envs)' },
  { flag: 'warm-pool', env: 'TANDEM_WARM_POOL', help: 'kernels of the default environment started ahead of time', default: '1' },
  {
    flag: 'warm-containers',
    env: 'TANDEM_WARM_CONTAINERS',
    help: 'with --runtime container, pool containers too (needs root; a claimed one carries no tandem.notebook label) (true/false)',
    default: 'false',
  },
  { flag: 'env-gc-days', env: 'TANDEM_ENV_GC_DAYS', help: 'delete environments (and environment images) unused this many days (0: never)', default: '30' },
  { flag: 'env-installer', env: 'TANDEM_ENV_INSTALLER', help: 'auto (uv when on the PATH or installable, else pip), uv or pip', default: 'auto' },
  { flag: 'runtime', env: 'TANDEM_RUNTIME', help: 'where kernels run: local (processes), container (podman) or kubernetes (pods)', default: 'local' },
  {
    flag: 'kernel-base-image',
    env: 'TANDEM_KERNEL_BASE_IMAGE',
    help: 'Python base image of kernel images (container runtime)',
    default: 'docker.io/library/python:3.11-slim-bookworm',
  },
  { flag: 'kernel-memory', env: 'TANDEM_KERNEL_MEMORY', help: 'memory limit of a kernel container, e.g. 512m (default: none)' },
  { flag: 'kernel-cpus', env: 'TANDEM_KERNEL_CPUS', help: 'CPUs of a kernel container, e.g. 1 (default: no limit)' },
  { flag: 'kernel-pids', env: 'TANDEM_KERNEL_PIDS', help: 'processes and threads a kernel container may have', default: '512' },
  { flag: 'kubeconfig', env: 'TANDEM_KUBECONFIG', help: 'kubeconfig of the cluster kernel pods run in (default: in-cluster, or $KUBECONFIG)' },
  { flag: 'namespace', env: 'TANDEM_NAMESPACE', help: 'namespace of kernel pods (kubernetes runtime)', default: 'default' },
  { flag: 'kernel-image', env: 'TANDEM_KERNEL_IMAGE', help: 'image of kernel pods (kubernetes runtime)', default: 'localhost/tandem-kernel:latest' },
  {
    flag: 'kernel-memory-max',
    env: 'TANDEM_KERNEL_MEMORY_MAX',
    help: 'most memory a notebook may ask for, e.g. 4g (kubernetes runtime; default: --kernel-memory)',
  },
  { flag: 'kernel-cpus-max', env: 'TANDEM_KERNEL_CPUS_MAX', help: 'most CPUs a notebook may ask for, e.g. 2 (kubernetes runtime; default: --kernel-cpus)' },
  {
    flag: 'kernel-registry',
    env: 'TANDEM_KERNEL_REGISTRY',
    help: 'registry for per-notebook kernel images, e.g. http://127.0.0.1:5000 (kubernetes runtime; default: every pod runs --kernel-image)',
  },
  { flag: 'kernel-workspace-claim', env: 'TANDEM_KERNEL_WORKSPACE_CLAIM', help: 'PersistentVolumeClaim holding the root, mounted in kernel pods' },
  { flag: 'version-pause', env: 'TANDEM_VERSION_PAUSE', help: 'seconds of editing pause after which a version is made', default: '60' },
  { flag: 'version-interval', env: 'TANDEM_VERSION_INTERVAL', help: 'seconds: at most one automatic version this often while editing', default: '300' },
  { flag: 'version-keep-days', env: 'TANDEM_VERSION_KEEP_DAYS', help: 'keep every version this many days, then one a day', default: '30' },
  {
    flag: 'scheduler-clock',
    env: 'TANDEM_SCHEDULER_CLOCK',
    help: 'system, or manual: scheduled jobs run only on POST /api/scheduler/tick (for tests)',
    default: 'system',
  },
  {
    flag: 'storage',
    env: 'TANDEM_STORAGE',
    help: 'notebooks, files, histories, versions, outputs and snapshots in a bucket, s3://BUCKET/PREFIX; --root and --state-dir become caches (default: local disk only)',
  },
  { flag: 's3-endpoint', env: 'TANDEM_S3_ENDPOINT', help: 'URL of an S3-compatible server (default: AWS, from the SDK chain)' },
  { flag: 's3-check', env: 'TANDEM_S3_CHECK', help: "seconds between checks of an open notebook's file in the bucket for outside changes", default: '30' },
  { flag: 'max-jobs', env: 'TANDEM_MAX_JOBS', help: 'jobs that run at once, each with a kernel of its own; later ones wait (default: the CPUs, at least 2)' },
  { flag: 'redis', env: 'TANDEM_REDIS', help: 'cluster mode: join the replicas that share this Redis, redis://HOST:PORT' },
  { flag: 'lease', env: 'TANDEM_LEASE', help: "cluster mode: seconds a notebook's owner may be silent before another replica takes over", default: '5' },
  { flag: 'advertise-url', env: 'TANDEM_ADVERTISE_URL', help: 'cluster mode: the URL other replicas reach this one at (default http://HOST:PORT)' },
  { flag: 'log-level', env: 'TANDEM_LOG_LEVEL', help: 'fatal, error, warn, info, debug or trace', default: 'info' },
  { flag: 'log-format', env: 'TANDEM_LOG_FORMAT', help: 'pretty or json (default: pretty on a terminal)' },
];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function usage(): string {
  const lines = OPTIONS.map((o) => {
    const def = o.default ? ` (default ${o.default})` : '';
    return `  --${o.flag.padEnd(16)} ${o.help}${def}\n  ${''.padEnd(18)} env ${o.env}`;
  });
  return `Usage: tandem serve [options]\n\n${lines.join('\n')}\n`;
}

function number(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(`--${name} must be a number from ${min} to ${max}`);
  return n;
}

// Bucket names as S3 allows them; a prefix of safe key characters, so keys stay predictable.
const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/([A-Za-z0-9._/-]*))?$/;

function redisUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (!/^rediss?:\/\/\S+$/.test(url)) throw new ConfigError('--redis must be a URL such as redis://127.0.0.1:6379');
  return url;
}

function advertiseUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (!/^https?:\/\/[^\s/]+\/?$/.test(url)) throw new ConfigError('--advertise-url must be a URL such as http://10.0.0.5:8888');
  return url.replace(/\/$/, '');
}

function storage(url: string | undefined, endpoint: string | undefined, checkSeconds: string): StorageConfig {
  if (url === undefined) {
    if (endpoint !== undefined) throw new ConfigError('--s3-endpoint needs --storage s3://BUCKET/PREFIX');
    return { kind: 'fs' };
  }
  const match = S3_URL.exec(url);
  if (!match) throw new ConfigError('--storage must be s3://BUCKET or s3://BUCKET/PREFIX (letters, digits, . _ - / in the prefix)');
  const parts = (match[2] ?? '').split('/').filter(Boolean);
  if (parts.some((part) => part === '.' || part === '..')) throw new ConfigError('--storage: the prefix cannot hold . or .. segments');
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+\/?$/.test(endpoint)) throw new ConfigError('--s3-endpoint must be a URL such as http://127.0.0.1:7070');
  const checkMs = number('s3-check', checkSeconds, 0.1, 86_400) * 1000;
  return { kind: 's3', bucket: match[1], prefix: parts.length ? `${parts.join('/')}/` : '', endpoint, checkMs };
}

// Pods always get limits: a kernel without one could starve its node's other pods.
const POD_MEMORY_DEFAULT = '1g';
const POD_CPUS_DEFAULT = '1';
const K8S_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function kubernetesConfig(
  get: (flag: string) => string | undefined,
  runtime: string,
  kernelMemory: string | undefined,
  kernelCpus: string | undefined,
): KubernetesConfig {
  const namespace = get('namespace')!;
  if (!K8S_NAME.test(namespace)) throw new ConfigError('--namespace must be a Kubernetes namespace name (lower-case letters, digits and -)');
  const memoryMax = get('kernel-memory-max') ?? kernelMemory ?? POD_MEMORY_DEFAULT;
  if (parseMemory(memoryMax) === undefined) throw new ConfigError('--kernel-memory-max must be a size such as 512m or 4g');
  const cpusMax = get('kernel-cpus-max') ?? kernelCpus ?? POD_CPUS_DEFAULT;
  if (parseCpu(cpusMax) === undefined) throw new ConfigError('--kernel-cpus-max must be a number of CPUs such as 2');
  if (runtime === 'kubernetes') {
    if (parseMemory(memoryMax)! < parseMemory(kernelMemory ?? POD_MEMORY_DEFAULT)!)
      throw new ConfigError('--kernel-memory-max cannot be below --kernel-memory');
    if (parseCpu(cpusMax)! < parseCpu(kernelCpus ?? POD_CPUS_DEFAULT)!) throw new ConfigError('--kernel-cpus-max cannot be below --kernel-cpus');
  }
  const workspaceClaim = get('kernel-workspace-claim');
  if (workspaceClaim !== undefined && !K8S_NAME.test(workspaceClaim)) throw new ConfigError('--kernel-workspace-claim must be a PersistentVolumeClaim name');
  const registry = get('kernel-registry');
  if (registry !== undefined && !/^https?:\/\/[^\s/]+(\/[a-z0-9._-]+)*\/?$/.test(registry)) {
    throw new ConfigError('--kernel-registry must be a URL such as http://127.0.0.1:5000 or https://registry.example.com/team');
  }
  const kubeconfig = get('kubeconfig');
  return { kubeconfig: kubeconfig ? resolve(kubeconfig) : undefined, namespace, image: get('kernel-image')!, registry, memoryMax, cpusMax, workspaceClaim };
}

/** The memory and CPUs of a kernel pod when its notebook asks for nothing. */
export function podDefaults(config: Pick<Config, 'kernelMemory' | 'kernelCpus'>): { memory: string; cpus: string } {
  return { memory: config.kernelMemory ?? POD_MEMORY_DEFAULT, cpus: config.kernelCpus ?? POD_CPUS_DEFAULT };
}

function boolean(name: string, value: string): boolean {
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  throw new ConfigError(`--${name} must be true or false`);
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv, isTTY: boolean): Config {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(OPTIONS.map((o) => [o.flag, { type: o.boolean ? ('boolean' as const) : ('string' as const) }])),
    strict: true,
    allowPositionals: false,
  }).valueOf() as { values: Record<string, string | boolean | undefined> };
  const get = (flag: string): string | undefined => {
    const spec = OPTIONS.find((o) => o.flag === flag)!;
    const value = values[flag];
    if (typeof value === 'boolean') return String(value);
    return value ?? (env[spec.env] || undefined) ?? spec.default;
  };
  const portGiven = values.port !== undefined || Boolean(env.TANDEM_PORT);
  const root = resolve(get('root')!);
  const stateDir = resolve(get('state-dir') ?? defaultStateDir(root, env));
  const logFormat = get('log-format') ?? (isTTY ? 'pretty' : 'json');
  if (logFormat !== 'pretty' && logFormat !== 'json') throw new ConfigError('--log-format must be pretty or json');
  const envInstaller = get('env-installer');
  if (envInstaller !== 'auto' && envInstaller !== 'uv' && envInstaller !== 'pip') throw new ConfigError('--env-installer must be auto, uv or pip');
  const runtime = get('runtime');
  if (runtime !== 'local' && runtime !== 'container' && runtime !== 'kubernetes') throw new ConfigError('--runtime must be local, container or kubernetes');
  const kernelMemory = get('kernel-memory');
  if (kernelMemory !== undefined && !/^\d+(\.\d+)?[bkmg]?$/i.test(kernelMemory)) throw new ConfigError('--kernel-memory must be a size such as 512m or 2g');
  const kernelCpus = get('kernel-cpus');
  if (kernelCpus !== undefined) number('kernel-cpus', kernelCpus, 0.01, 1024);
  const kubernetes = kubernetesConfig(get, runtime, kernelMemory, kernelCpus);
  const schedulerClock = get('scheduler-clock');
  if (schedulerClock !== 'system' && schedulerClock !== 'manual') throw new ConfigError('--scheduler-clock must be system or manual');
  const token = get('token');
  if (token !== undefined && token.length < 8) throw new ConfigError('--token must be at least 8 characters');
  const rotateToken = boolean('rotate-token', get('rotate-token') ?? 'false');
  if (rotateToken && token !== undefined) throw new ConfigError('--rotate-token makes a new token, so it cannot be combined with --token (or TANDEM_TOKEN)');
  const maxMessageBytes = number('max-message-mb', get('max-message-mb')!, 1, 1024) * 1024 * 1024;
  const saveDelayMs = number('save-delay', get('save-delay')!, 0, 600) * 1000;
  const storageConfig = storage(get('storage'), get('s3-endpoint'), get('s3-check')!);
  return {
    host: get('host')!,
    port: number('port', get('port')!, 0, 65535),
    portExplicit: portGiven,
    root,
    token,
    rotateToken,
    stateDir,
    allowOrigins: (get('allow-origin') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    roomGraceMs: number('room-grace', get('room-grace')!, 0, 86_400) * 1000,
    logLevel: get('log-level')!,
    logFormat,
    maxMessageBytes,
    // Never below two messages: a whole large notebook must fit on its way to one joining client.
    maxBufferedBytes: Math.max(number('client-buffer-mb', get('client-buffer-mb')!, 1, 4096) * 1024 * 1024, 2 * maxMessageBytes),
    sendBudgetBytes: number('send-budget-mb', get('send-budget-mb')!, 1, 65_536) * 1024 * 1024,
    maxSocketsPerLink: number('max-link-sockets', get('max-link-sockets')!, 1, 1_000_000),
    maxSocketsPerAddress: number('max-address-sockets', get('max-address-sockets')!, 1, 1_000_000),
    saveDelayMs,
    // While typing goes on, a save at least this often. With a bucket each save is also a PUT,
    // and the history (shipped every second) already holds every edit: less often there.
    saveMaxDelayMs: Math.max(saveDelayMs, storageConfig.kind === 's3' ? 15_000 : 5000),
    watchIntervalMs: 2000,
    compactBytes: 4 * 1024 * 1024,
    pingIntervalMs: 30_000,
    runTimingsFile: get('run-timings') ? resolve(get('run-timings')!) : undefined,
    defaultKernel: get('default-kernel')!,
    cullIdleMs: number('cull-idle', get('cull-idle')!, 0, 30 * 86_400) * 1000,
    kernelPrestart: boolean('kernel-prestart', get('kernel-prestart')!),
    connectionsFile: get('connections') ? resolve(get('connections')!) : undefined,
    envCacheDir: resolve(get('env-cache') ?? join(stateDir, 'envs')),
    warmPool: number('warm-pool', get('warm-pool')!, 0, 32),
    warmContainers: boolean('warm-containers', get('warm-containers')!),
    envGcMs: number('env-gc-days', get('env-gc-days')!, 0, 3650) * 86_400_000,
    envInstaller,
    runtime,
    kernelBaseImage: get('kernel-base-image')!,
    kernelMemory,
    kernelCpus,
    kernelPids: number('kernel-pids', get('kernel-pids')!, 16, 1_000_000),
    kubernetes,
    versionPauseMs: number('version-pause', get('version-pause')!, 0.05, 86_400) * 1000,
    versionIntervalMs: number('version-interval', get('version-interval')!, 0.05, 86_400) * 1000,
    versionKeepDays: number('version-keep-days', get('version-keep-days')!, 0, 36_500),
    schedulerClock,
    storage: storageConfig,
    maxJobs: get('max-jobs') === undefined ? Math.max(2, availableParallelism()) : number('max-jobs', get('max-jobs')!, 1, 1024),
    redisUrl: redisUrl(get('redis')),
    leaseMs: number('lease', get('lease')!, 0.5, 600) * 1000,
    advertiseUrl: advertiseUrl(get('advertise-url')),
  };
}
