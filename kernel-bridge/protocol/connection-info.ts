// The contents of a Jupyter connection file: where a kernel's five sockets listen and the key
// that signs every message. A runtime produces it; the client connects with it.

export interface ConnectionInfo {
  transport: 'tcp';
  ip: string;
  shell_port: number;
  control_port: number;
  stdin_port: number;
  iopub_port: number;
  hb_port: number;
  signature_scheme: 'hmac-sha256';
  key: string;
  kernel_name?: string;
}

export type SocketName = 'shell' | 'control' | 'stdin' | 'iopub' | 'hb';

export function socketAddress(info: ConnectionInfo, socket: SocketName): string {
  return `${info.transport}://${info.ip}:${info[`${socket}_port`]}`;
}
