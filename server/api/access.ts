// Who may use the API and the WebSocket: the rules live in core/access.ts, below
// every entry point, because `zcl watch --listen` applies them to its /metrics too.
export * from '../core/access.js';
