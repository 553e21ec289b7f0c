// Content of the requests the bridge sends, with the messaging spec's defaults, so each caller
// states only where it departs from them.

export interface ExecuteRequestContent {
  code: string;
  silent: boolean;
  store_history: boolean;
  user_expressions: Record<string, string>;
  allow_stdin: boolean;
  stop_on_error: boolean;
}

/** An execute_request's content: the spec's defaults (visible, kept in history, stdin allowed, stop on error), then `options`. */
export function executeRequest(code: string, options: Partial<Omit<ExecuteRequestContent, 'code'>> = {}): ExecuteRequestContent {
  return { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true, ...options };
}

/** Code the user does not see: no outputs, no history, no stdin, and an error stops nothing else. */
export function hiddenExecuteRequest(code: string): ExecuteRequestContent {
  return executeRequest(code, { silent: true, store_history: false, allow_stdin: false, stop_on_error: false });
}
