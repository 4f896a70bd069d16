#!/usr/bin/env node
// Checks a RunResult (zcl run --json, or GET /api/runs/:id) of a sendfile run over
// veth-nosg made on another system (the fresh root, the VM lab): the probes ran, every
// counter of the schema had a source on that kernel and a measured value, and the
// counts equal what the engine did. Prints one line per check; exits 1 on the first
// failure.  Usage: check-run.mjs RESULT.json
import { readFileSync } from 'node:fs';
import { COUNTERS } from '../../dist/server/probes/schema.generated.js';

const r = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let failed = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed++;
}

check(r.mode === 'sendfile' && r.path === 'veth-nosg', `mode ${r.mode} over ${r.path}`);
check(r.bytes === r.sizeBytes && r.receiver?.bytes === r.sizeBytes && r.receiver?.checksumOk === true,
  `${r.receiver?.bytes} of ${r.sizeBytes} bytes received, checksum ${r.receiver?.checksumOk ? 'ok' : 'BAD'}`);
check(r.probes?.status === 'ok', `probes ${r.probes?.status} (engine ${r.probes?.engine}, tier ${r.probes?.tier}, kernel ${r.kernel})`);
const sources = r.probes?.sources ?? {};
const counters = r.probes?.sender?.counters ?? {};
// kTLS's encryption counter has a source only where the run's kernel had the tls module loaded
// (fexit on tls_sw_sendmsg); a sendfile run loads nothing of TLS, so it may have none. Where it
// has a source, it must be measured like every other counter.
const needsTls = (c) => c.needs.includes('tls_encrypt');
const expected = COUNTERS.filter((c) => !needsTls(c) || (typeof sources[c.name] === 'string' && sources[c.name] !== '')).map((c) => c.name);
const skipped = COUNTERS.filter((c) => !expected.includes(c.name)).map((c) => c.name);
if (skipped.length) console.log(`note ${skipped.join(', ')}: no source on kernel ${r.kernel} (the tls module was not loaded; no kTLS in this run)`);
const unsourced = expected.filter((c) => typeof sources[c] !== 'string' || sources[c] === '');
const unmeasured = expected.filter((c) => typeof counters[c] !== 'number');
check(unsourced.length === 0, `every counter has a source on this kernel (${expected.length})${unsourced.length ? `; none for: ${unsourced.join(', ')}` : ''}`);
check(unmeasured.length === 0, `every counter is measured for the sender${unmeasured.length ? `; missing: ${unmeasured.join(', ')}` : ''}`);
// What the engine did: sendfile passes every page by reference; with scatter-gather off the
// device copies (linearizes) every byte it transmits, retransmits included.
const size = r.sizeBytes;
const syscalls = r.sender?.syscalls?.sendfile ?? 0;
check(counters.splice_ref_bytes === size, `splice_ref_bytes ${counters.splice_ref_bytes} = ${size} bytes sent by reference`);
check(counters.copy_file_to_user_bytes === 0 && counters.copy_user_to_socket_bytes === 0, 'no user-space copies (copy_file_to_user_bytes, copy_user_to_socket_bytes = 0)');
check(counters.copy_linearize_bytes === counters.dev_xmit_bytes && counters.dev_xmit_bytes >= size,
  `copy_linearize_bytes ${counters.copy_linearize_bytes} = dev_xmit_bytes ${counters.dev_xmit_bytes} >= ${size}`);
check(counters.syscalls >= syscalls && syscalls > 0, `syscalls ${counters.syscalls} >= the ${syscalls} sendfile calls the engine made`);
check(r.probes?.sink?.counters?.copy_socket_to_user_bytes === size, `sink copy_socket_to_user_bytes ${r.probes?.sink?.counters?.copy_socket_to_user_bytes} = ${size}`);
process.exit(failed ? 1 : 0);
