// The one place that creates ZeroMQ sockets, so every kernel socket gets the same tuning.
//
// TCP_NODELAY: zeromq.js has no option for it because libzmq already turns Nagle's algorithm
// off on every TCP connection it makes (tune_tcp_socket in libzmq's tcp.cpp). DESIGN 5 measured
// Jupyter Server losing ~40 ms per round trip to Nagle; we keep libzmq's default.

import * as zmq from 'zeromq';

// libzmq allots a context's socket slots when its first socket opens, so the limit has to be
// raised before that, at module load. The default of 1023 allows only ~200 kernels of 5 sockets.
zmq.context.maxSockets = Math.max(zmq.context.maxSockets, zmq.context.maxSocketsLimit);

const common = {
  // Nothing we send is worth keeping after close: a dead kernel must not hold the process open.
  linger: 0,
  // The default 100 ms makes the iopub subscription late to a kernel that is still binding its
  // ports, and its first outputs are lost (DESIGN 5). A refused connect on loopback is cheap.
  reconnectInterval: 10,
} as const;

/** A Dealer for shell, control or stdin. Shell and stdin must share `routingId` (see caller). */
export function createDealer(routingId: string): zmq.Dealer {
  return new zmq.Dealer({ ...common, routingId });
}

/**
 * The largest iopub message accepted. A kernel whose output thread falls behind can batch
 * hundreds of megabytes into one stream message (ipykernel does, under a print loop); libzmq
 * drops the connection on a larger one instead of handing it to us, and reconnects. What is
 * lost is output that would have been cut anyway: the server keeps far less of any output.
 */
export const MAX_IOPUB_MESSAGE_BYTES = 32 * 1024 * 1024;
/**
 * iopub messages queued for us at most (libzmq's default is 1,000). When a kernel outputs
 * faster than the server takes it, a publisher drops what does not fit rather than block;
 * together with the size limit this bounds what one kernel can make the server hold.
 */
export const IOPUB_QUEUE_MESSAGES = 8;

/** An iopub Subscriber, subscribed to every topic. */
export function createSubscriber(): zmq.Subscriber {
  const socket = new zmq.Subscriber({
    ...common,
    maxMessageSize: MAX_IOPUB_MESSAGE_BYTES,
    receiveHighWaterMark: IOPUB_QUEUE_MESSAGES,
  });
  socket.subscribe();
  return socket;
}

/**
 * The heartbeat Request. `relaxed` lets us ping again when a reply is missing, and `correlate`
 * drops a late reply to an older ping, so one socket lasts the kernel's whole life.
 */
export function createHeartbeatRequest(): zmq.Request {
  return new zmq.Request({ ...common, relaxed: true, correlate: true, sendTimeout: 0 });
}
