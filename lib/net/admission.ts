// Admission at a server edge: a connection over --max-connections is refused with one line.
import type net from 'node:net';
import { errorResponse } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import { after, type Clock } from '../time/clock.js';

/**
 * Client connections a node holds open at once (HAProxy's `maxconn`). HAProxy sizes its default
 * from the file-descriptor limit, but Node raises the soft limit to the hard one at start, so here
 * memory is the bound that matters: 16,384 connections, each holding at most one unfinished line
 * of 64 KiB, hold at most 1 GiB. It keeps 10,000 concurrent clients of one balancer working.
 */
export const DEFAULT_MAX_CONNECTIONS = 16_384;

/**
 * Refuses `socket`: writes `{"status":"TOO_MANY_CONNECTIONS","error":"..."}` and closes. The close
 * lingers: what the peer sends is read and dropped until it closes its side, for at most
 * `lingerMs`, because closing a socket with unread input sends a reset, which can make the peer
 * lose the refusal (a client writes its request as soon as it connects).
 */
export function refuseConnection(socket: net.Socket, clock: Clock, limit: number, lingerMs: number): void {
  const lingering = after(clock, lingerMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('close', () => lingering.unsubscribe());
  socket.on('end', () => {
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
  });
  socket.resume();
  socket.end(`${errorResponse(Status.TOO_MANY_CONNECTIONS, `too many connections (--max-connections ${limit}); try again later`)}\n`);
}
