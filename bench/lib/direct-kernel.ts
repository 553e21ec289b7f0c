// The bounds for Tandem's kernel figures, in the load process itself: the same ipykernel driven
// with no server in between. "direct" is the bridge's raw ZeroMQ connection (five sockets,
// signing, nothing else); "bridge" is its KernelSession (queue, run events), so that the cost of
// the session layer and the cost of the server and its document can be told apart.
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, KernelConnection } from '../../kernel-bridge/client/kernel-connection.js';
import { waitUntilReady } from '../../kernel-bridge/client/kernel-ready.js';
import { executeRequest, findKernelSpec, KernelSession, type KernelSpec, LocalRuntime, silentLogger } from '../../kernel-bridge/index.js';
import type { KernelRuntime, LaunchedKernel } from '../../kernel-bridge/runtimes/runtime.js';

/** The kernelspec every target runs: the one Tandem finds for notebooks that name `python3`. */
export async function benchKernelSpec(name = 'python3'): Promise<KernelSpec> {
  const spec = await findKernelSpec(name);
  if (!spec) throw new Error(`no "${name}" kernelspec is installed (Debian: apt install python3-ipykernel)`);
  return spec;
}

export interface RunTimes {
  /** First output of the run, ms after the request. */
  firstOutputMs: number;
  /** The run is over (execute_reply and idle, or the session's runFinished), ms after the request. */
  doneMs: number;
  /** Text of the first stream output, to check it is the one asked for. */
  firstText: string;
}

const OUTPUT_TYPES = new Set(['stream', 'display_data', 'execute_result', 'error']);
// KernelSession's own settings (kernel-incarnation.ts, kernel-session.ts), so "direct" starts
// kernels exactly as the bridge would.
const RESEND_MS = 500;
const HEARTBEAT = { heartbeatIntervalMs: 1000, heartbeatMaxMisses: 3 };

export class DirectKernel {
  private constructor(
    private readonly kernel: LaunchedKernel,
    private readonly connection: KernelConnection,
  ) {}

  /** Launches the kernel, connects the five sockets and waits until iopub is live. */
  static async start(spec: KernelSpec, cwd: string, timeoutMs: number): Promise<DirectKernel> {
    const runtime = new LocalRuntime({ logger: silentLogger });
    const kernel = await runtime.launch({ spec, cwd });
    const connection = new KernelConnection(kernel.connection, { logger: silentLogger, username: 'bench', ...HEARTBEAT });
    try {
      await waitUntilReady(connection, { signal: new AbortController().signal, timeoutMs, resendIntervalMs: RESEND_MS });
    } catch (error) {
      connection.close();
      await kernel.kill();
      throw error;
    }
    return new DirectKernel(kernel, connection);
  }

  execute(code: string, timeoutMs: number): Promise<RunTimes> {
    return new Promise((resolve, reject) => {
      let first: { ms: number; text: string } | undefined;
      let replied = false;
      let idle = false;
      let msgId: string | undefined;
      const started = performance.now();
      const onMessage = ({ channel, message }: IncomingMessage): void => {
        if ((message.parent_header as { msg_id?: string }).msg_id !== msgId) return;
        const type = message.header.msg_type;
        if (channel === 'iopub' && !first && OUTPUT_TYPES.has(type)) {
          const content = message.content as { text?: unknown };
          first = { ms: performance.now() - started, text: typeof content.text === 'string' ? content.text : '' };
        }
        if (channel === 'shell' && type === 'execute_reply') replied = true;
        if (channel === 'iopub' && type === 'status' && (message.content as { execution_state?: string }).execution_state === 'idle') idle = true;
        if (replied && idle) finish();
      };
      const timer = setTimeout(() => finish(new Error(`no answer to execute_request within ${timeoutMs} ms`)), timeoutMs);
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.connection.off('message', onMessage);
        if (error) reject(error);
        else if (!first) reject(new Error(`the code produced no output: ${code}`));
        else resolve({ firstOutputMs: first.ms, doneMs: performance.now() - started, firstText: first.text });
      };
      this.connection.on('message', onMessage);
      msgId = this.connection.send('shell', 'execute_request', executeRequest(code, { allow_stdin: false }));
    });
  }

  async shutdown(): Promise<void> {
    this.connection.close();
    await this.kernel.kill();
  }
}

/** The bridge's KernelSession, as the server holds one per notebook, but with no server around it. */
export class BridgeKernel {
  private constructor(private readonly session: KernelSession) {}

  static async start(spec: KernelSpec, cwd: string, runtime?: KernelRuntime): Promise<BridgeKernel> {
    const session = new KernelSession({ spec, cwd, username: 'bench', runtime });
    await session.start();
    if (session.status !== 'idle') throw new Error(`the kernel session did not start: ${session.statusMessage}`);
    return new BridgeKernel(session);
  }

  execute(code: string, timeoutMs: number): Promise<RunTimes> {
    const runId = randomUUID();
    return new Promise((resolve, reject) => {
      let first: { ms: number; text: string } | undefined;
      const started = performance.now();
      const onOutput = (event: { runId: string; msgType: string; content: unknown }): void => {
        if (event.runId !== runId || first) return;
        const text = (event.content as { text?: unknown }).text;
        first = { ms: performance.now() - started, text: typeof text === 'string' ? text : '' };
      };
      const onFinished = (event: { runId: string; status: string; message?: string }): void => {
        if (event.runId !== runId) return;
        if (event.status !== 'ok') finish(new Error(`run ended ${event.status}: ${event.message ?? ''}`));
        else finish();
      };
      const timer = setTimeout(() => finish(new Error(`the run did not finish within ${timeoutMs} ms`)), timeoutMs);
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.session.off('output', onOutput);
        this.session.off('runFinished', onFinished);
        if (error) reject(error);
        else if (!first) reject(new Error(`the code produced no output: ${code}`));
        else resolve({ firstOutputMs: first.ms, doneMs: performance.now() - started, firstText: first.text });
      };
      this.session.on('output', onOutput);
      this.session.on('runFinished', onFinished);
      this.session.enqueue({ runId, code, username: 'bench' });
    });
  }

  shutdown(): Promise<void> {
    return this.session.shutdown();
  }
}

/** A new bridge session, from its start to the first output of print(1), in ms (the run's own time after its first output left out). */
export async function firstOutput(runtime: KernelRuntime | undefined, cwd: string, timeoutMs: number): Promise<number> {
  const spec = await benchKernelSpec();
  const started = performance.now();
  const kernel = await BridgeKernel.start(spec, cwd, runtime);
  const run = await kernel.execute('print(1)', timeoutMs);
  const total = performance.now() - started - (run.doneMs - run.firstOutputMs);
  await kernel.shutdown();
  return total;
}
