// Content of the Jupyter messages the bridge reads, as TypeScript types. Their validators are in
// validate.ts; nothing here is trusted until it has passed through them.

export type MimeBundle = Record<string, unknown>;

export interface StatusContent {
  /** ipykernel sends 'starting' once, then 'busy' and 'idle' around every request. */
  execution_state: string;
}

export interface ExecuteInputContent {
  code: string;
  execution_count: number;
}

export interface StreamContent {
  name: 'stdout' | 'stderr';
  text: string;
}

export interface DisplayDataContent {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  /** Not saved in the notebook; `display_id` names the display for later updates. */
  transient?: { display_id?: string };
}

export interface UpdateDisplayDataContent extends DisplayDataContent {
  transient: { display_id: string };
}

export interface ExecuteResultContent extends DisplayDataContent {
  execution_count: number;
}

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

export interface ClearOutputContent {
  /** Clear when the next output arrives instead of now, to avoid flicker. */
  wait: boolean;
}

export interface ExecuteReplyContent {
  status: 'ok' | 'error' | 'aborted';
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface LanguageInfo {
  name: string;
  version?: string;
  mimetype?: string;
  file_extension?: string;
  pygments_lexer?: string;
  codemirror_mode?: unknown;
  nbconvert_exporter?: string;
}

export interface KernelInfoReplyContent {
  status: 'ok' | 'error';
  protocol_version: string;
  implementation: string;
  implementation_version?: string;
  language_info: LanguageInfo;
  banner: string;
}

export interface InputRequestContent {
  prompt: string;
  password: boolean;
}

export interface ControlReplyContent {
  status: string;
}

/** Every message type the bridge reads, with its content. */
export interface ContentByType {
  status: StatusContent;
  execute_input: ExecuteInputContent;
  stream: StreamContent;
  display_data: DisplayDataContent;
  update_display_data: UpdateDisplayDataContent;
  execute_result: ExecuteResultContent;
  error: ErrorContent;
  clear_output: ClearOutputContent;
  execute_reply: ExecuteReplyContent;
  kernel_info_reply: KernelInfoReplyContent;
  input_request: InputRequestContent;
  interrupt_reply: ControlReplyContent;
  shutdown_reply: ControlReplyContent;
}

export type KnownMsgType = keyof ContentByType;

/** A message's type and content, narrowed together: switch on `msgType`. */
export type TypedContent = { [K in KnownMsgType]: { msgType: K; content: ContentByType[K] } }[KnownMsgType];
