// A job's cell outputs in nbformat form, built from a kernel's output events the way a
// notebook writer saves them: consecutive stream text merged, clear_output honoured (with
// `wait`, at the next output), display updates applied wherever their display id is.

import type { JSONObject, OutputJSON } from '../../common/nbformat';
import type { RunOutputEvent } from '../../kernel-bridge';

export class CellOutputs {
  readonly outputs: OutputJSON[] = [];
  private readonly displays = new Map<OutputJSON, string>();
  private clearAtNext = false;

  add(event: RunOutputEvent): void {
    if (event.msgType === 'clear_output') {
      if (event.content.wait) this.clearAtNext = true;
      else this.clear();
      return;
    }
    if (event.msgType === 'update_display_data') {
      for (const [output, id] of this.displays)
        if (id === event.content.transient.display_id) {
          output.data = event.content.data as JSONObject;
          output.metadata = event.content.metadata as JSONObject;
        }
      return;
    }
    if (this.clearAtNext) this.clear();
    const output = toOutput(event);
    const last = this.outputs.at(-1);
    if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
      last.text = `${String(last.text)}${String(output.text)}`;
      return;
    }
    this.outputs.push(output);
    if (event.displayId) this.displays.set(output, event.displayId);
  }

  private clear(): void {
    this.clearAtNext = false;
    this.outputs.length = 0;
    this.displays.clear();
  }
}

function toOutput(event: Exclude<RunOutputEvent, { msgType: 'clear_output' | 'update_display_data' }>): OutputJSON {
  switch (event.msgType) {
    case 'stream':
      return { output_type: 'stream', name: event.content.name, text: event.content.text };
    case 'display_data':
      return { output_type: 'display_data', data: event.content.data as JSONObject, metadata: event.content.metadata as JSONObject };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        execution_count: event.content.execution_count,
        data: event.content.data as JSONObject,
        metadata: event.content.metadata as JSONObject,
      };
    case 'error':
      return { output_type: 'error', ename: event.content.ename, evalue: event.content.evalue, traceback: event.content.traceback };
  }
}
