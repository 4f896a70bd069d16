// The JSON API and the WebSocket /live, from the page's own origin (the token,
// when the server needs one, travels in its same-site cookie).
import { errorText } from './i18n.js';

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {{field: string, message: string}[]} [issues]
   * @param {string} [code] the error registry's code (server/core/errors.ts)
   */
  constructor(status, message, issues, code) {
    super(message);
    this.status = status;
    this.issues = issues;
    this.code = code;
  }
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  /** @type {RequestInit} */
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) throw new ApiError(res.status, errorText(json?.code, json?.error ?? `${res.status} ${res.statusText}`), json?.issues, json?.code);
  return json;
}

/**
 * A WebSocket to /live that reconnects (1 s, then up to 10 s between tries).
 * @param {(frame: import('./types.js').ServerFrame) => void} onFrame
 * @param {(state: 'open' | 'closed', detail?: string) => void} onState
 */
export function connectLive(onFrame, onState) {
  let delay = 1000;
  /** @type {WebSocket | undefined} */
  let ws;
  let stopped = false;
  const open = () => {
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live`);
    ws.addEventListener('open', () => {
      delay = 1000;
      onState('open');
    });
    ws.addEventListener('message', (e) => {
      try {
        onFrame(JSON.parse(String(e.data)));
      } catch (err) {
        console.error('bad frame', err);
      }
    });
    ws.addEventListener('close', (e) => {
      onState('closed', e.reason || `code ${e.code}`);
      if (stopped) return;
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10_000);
    });
  };
  open();
  return {
    close() {
      stopped = true;
      ws?.close();
    },
    /** Sends a message when the socket is open; false when it is not (it is sent again on 'open' by the caller). @param {unknown} msg */
    send(msg) {
      if (ws?.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify(msg));
      return true;
    },
  };
}
