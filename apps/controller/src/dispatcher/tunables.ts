/** The dispatcher's timing constants, each with the reason for its value. */

/** HELLO_TIMEOUT_MS: an agent must say Hello soon after opening a session, or the stream is closed. */
export const HELLO_TIMEOUT_MS = 10_000;
/** ASSIGNMENT_SAFETY_MS: the full set is re-sent this often even without changes, so a lost notify heals. */
export const ASSIGNMENT_SAFETY_MS = 10_000;
/** STOP_GRACE_MS: SIGTERM → SIGKILL grace period sent with every task. */
export const STOP_GRACE_MS = 10_000;
/** SESSION_KEY_TTL_FACTOR: the Redis session key outlives the node-down period by this factor. */
export const SESSION_KEY_TTL_FACTOR = 3;
/** REMOTE_LOG_ANSWER_MS: how long a replica waits for the session owner to start relaying logs. */
export const REMOTE_LOG_ANSWER_MS = 3_000;
/** KEEPALIVE_MS / KEEPALIVE_TIMEOUT_MS: the controller pings each agent connection this often and drops one that does not answer in time. */
export const KEEPALIVE_MS = 10_000;
export const KEEPALIVE_TIMEOUT_MS = 5_000;
