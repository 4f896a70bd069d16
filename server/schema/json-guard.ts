// Checks on parsed JSON before any schema sees it, both without recursion (a
// 100,000-deep array must not overflow the stack):
// - nesting depth: past MAX_JSON_DEPTH levels of objects and arrays is refused
//   (no input of the lab nests deeper than a few levels);
// - prototype keys: JSON.parse keeps `__proto__` as an own property, but a zod
//   record drops it (and an assignment would set the prototype instead), so a
//   matrix's `base: {"__proto__": {...}}` would be silently ignored.
//   `__proto__`, `constructor` and `prototype` are refused as keys anywhere.

export const MAX_JSON_DEPTH = 32;
export const PROTOTYPE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export type JsonPath = (string | number)[];

export interface JsonProblem {
  kind: 'depth' | 'prototype-key';
  /** Where: for 'depth' the first container past the limit (its path cut short), for 'prototype-key' the key itself. */
  path: JsonPath;
  key?: string;
}

/** The depth problem's path said short: its first `keep` steps, then `…`. */
export const DEPTH_PATH_KEEP = 4;

/**
 * The first problem in a parsed JSON value (depth first: its walk stops there),
 * or undefined. Depth counts containers: `{}` is 1, `{"a": []}` is 2.
 */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonProblem | undefined {
  const stack: { v: unknown; depth: number; path: JsonPath }[] = [{ v: value, depth: 0, path: [] }];
  let proto: JsonProblem | undefined;
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > maxDepth) return { kind: 'depth', path };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) if (v[i] !== null && typeof v[i] === 'object') stack.push({ v: v[i], depth: depth + 1, path: [...path, i] });
      continue;
    }
    const keys = Object.keys(v);
    if (!proto) {
      const k = keys.find((key) => PROTOTYPE_KEYS.includes(key));
      if (k !== undefined) proto = { kind: 'prototype-key', path: [...path, k], key: k };
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const c = (v as Record<string, unknown>)[keys[i]];
      if (c !== null && typeof c === 'object') stack.push({ v: c, depth: depth + 1, path: [...path, keys[i]] });
    }
  }
  return proto;
}

/** The message for a depth problem. */
export const depthMessage = (maxDepth = MAX_JSON_DEPTH, where = '') =>
  `nests objects and arrays more than ${maxDepth} levels deep${where}; allowed: at most ${maxDepth} levels (the depth limit)`;

/**
 * The offset in a JSON text (valid or not) where its nesting first passes
 * `maxDepth` levels, or undefined; strings are skipped (their brackets do not count).
 */
export function textDepthExceeded(text: string, maxDepth = MAX_JSON_DEPTH): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth = Math.max(0, depth - 1);
  }
  return undefined;
}
