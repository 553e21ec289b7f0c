// No signal reaches a kernel in a pod, so a pod kernel says interruptMode 'message' and the
// session interrupts it with interrupt_request on the control channel instead (issue 19). Shown
// here with a real local ipykernel whose launch refuses signals in the same way: the interrupt
// still stops the running code, and no signal was asked for.

import { afterEach, beforeEach, expect, test } from 'vitest';
import type { KernelRuntime, LaunchedKernel, LaunchRequest } from '../../kernel-bridge/runtimes/runtime';
import { KernelFixture } from '../kernel-bridge/helpers';

/** The fixture's kernels, as a runtime that cannot signal them presents them. */
class SignalFreeRuntime implements KernelRuntime {
  signals = 0;
  constructor(private readonly inner: KernelRuntime) {}

  async launch(request: LaunchRequest): Promise<LaunchedKernel> {
    const kernel = await this.inner.launch(request);
    return {
      id: kernel.id,
      connection: kernel.connection,
      exited: kernel.exited,
      interruptMode: 'message',
      interrupt: () => {
        this.signals += 1;
      },
      kill: () => kernel.kill(),
    };
  }
}

const kernels = new KernelFixture();
beforeEach(() => kernels.setup());
afterEach(() => kernels.cleanup());

test('a kernel that takes no signals is interrupted by interrupt_request, and the queue goes on', async () => {
  const runtime = new SignalFreeRuntime(kernels.runtime);
  const { session, log } = await kernels.session({ runtime });
  expect(session.spec.interruptMode).not.toBe('message');
  session.enqueue({ runId: 'sleep', code: 'import time\nprint("sleeping", flush=True)\ntime.sleep(60)' });
  session.enqueue({ runId: 'next', code: 'print("after the interrupt")' });
  await log.waitFor('output', (event) => event.runId === 'sleep');

  await session.interrupt();
  expect(await log.finished('sleep', 10_000)).toMatchObject({ runId: 'sleep', status: 'interrupted', error: { ename: 'KeyboardInterrupt' } });
  expect(await log.finished('next')).toMatchObject({ runId: 'next', status: 'ok' });
  const replies = log.events.message.filter(({ channel, message }) => channel === 'control' && message.header.msg_type === 'interrupt_reply');
  expect(replies).toHaveLength(1);
  expect(runtime.signals).toBe(0);
});
