/**
 * Handler tables for the session's envelopes. AgentMessage and
 * ControllerMessage each carry one message in the oneof `msg`; a side keeps
 * one handler per case (MessageHandlers) and dispatchMessage calls the one
 * for the case a message carries, so a new case is a compile error until it
 * is handled.
 */
import type { AgentMessage, ControllerMessage } from './messages.js';

/** Envelope: AgentMessage or ControllerMessage, as decoded (the set case named in `msg`). */
export type Envelope = AgentMessage | ControllerMessage;

/** MessageKind: an envelope's oneof cases ('hello' | 'heartbeat' | ...). */
export type MessageKind<M extends Envelope> = NonNullable<M['msg']>;

/** MessageBody: the message a case carries. */
export type MessageBody<M extends Envelope, K extends MessageKind<M>> = NonNullable<M[K & keyof M]>;

/** MessageHandlers: one handler per case of an envelope, given the message that case carries. */
export type MessageHandlers<M extends Envelope, R> = { [K in MessageKind<M>]: (body: MessageBody<M, K>) => R };

/**
 * dispatchMessage calls the handler for the case `m` carries and returns its
 * result; a message with no case set (one from a newer peer, whose case this
 * side's proto does not know) is ignored and gives undefined.
 */
export function dispatchMessage<M extends Envelope, R>(handlers: MessageHandlers<M, R>, m: M): R | undefined {
  const kind = m.msg as MessageKind<M> | undefined;
  if (kind === undefined) return undefined;
  const body = m[kind as keyof M] as MessageBody<M, typeof kind> | null | undefined;
  if (body == null) return undefined;
  return handlers[kind](body);
}
