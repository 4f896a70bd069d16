// kTLS (issue 15, part 2) on kernels that have it: Debian's 6.1 and 6.12, booted
// in QEMU with the tls module (and its AES-GCM: gcm, ctr, ghash-generic) loaded
// at boot (scripts/kernel-vm/make-initramfs.sh). The two kTLS sender modes, one
// pass of an odd-sized file over loopback, the sink decrypting with kTLS RX:
//   - the plaintext the sink received is the file (its checksum, byte count);
//   - copy_encrypt_bytes (fexit on tls_sw_sendmsg, and tls_sw_sendpage before 6.5)
//     equals the bytes sent, exactly: every plaintext byte passes the cipher once;
//   - what the device carried is the ciphertext: the plaintext plus 22 B per record
//     (TLS 1.3: 5 B header, 1 B content type, 16 B tag), records of at most 16 KiB;
//   - ktls-write copies file -> user (read) and encrypts: 2 CPU passes per byte;
//     ktls-sendfile only encrypts: 1 (the cipher reads the page-cache pages);
//   - /proc/net/tls_stat: one software TX session (TlsTxSw +1), none on a device.
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../server/run/result.js';
import { expectEngineSyscallsMatch } from '../ground-truth.js';
import { CHUNK, ODD_SIZE } from '../helpers.js';
import { runStepsInKernel } from './vm.js';

const zcl = ['timeout', '400', 'node', 'dist/server/cli/zcl.js'];
const RECORD = 16384;
const OVERHEAD = 22;

function results(step: { exitCode: number; stdout: string; stderr: string }): RunResult[] {
  expect(step.stderr.trim(), 'zcl wrote to stderr in the guest').toBe('');
  expect(step.exitCode).toBe(0);
  return JSON.parse(step.stdout) as RunResult[];
}

/** Records a write() of each chunk makes: the record layer closes one at 16 KiB and at the end of each send. */
const writeRecords = (size: number, chunk: number) => {
  let n = 0;
  for (let off = 0; off < size; off += chunk) n += Math.ceil(Math.min(chunk, size - off) / RECORD);
  return n;
};

function expectKtls(r: RunResult, tier: string, encryptSource: RegExp): void {
  const size = r.sizeBytes;
  expect.soft(r.bytes).toBe(size);
  expect.soft(r.receiver.bytes).toBe(size);
  expect.soft(r.receiver.checksumOk).toBe(true);
  expect.soft(r.tls).toMatchObject({ version: 'TLS 1.3', cipher: 'AES-GCM-128', recordOverheadBytes: OVERHEAD });
  expect.soft(r.tls!.stat).toMatchObject({ TlsTxSw: 1, TlsTxDevice: 0, TlsRxSw: 1, TlsRxDevice: 0 });
  const p = r.probes!;
  expect.soft(p.status).toBe('ok');
  expect.soft(p.tier).toBe(tier);
  expect.soft(p.sources!.copy_encrypt_bytes).toMatch(encryptSource);
  const s = p.sender!.counters;
  const k = p.sink!.counters;
  expectEngineSyscallsMatch(r);
  // Every plaintext byte through the cipher, once.
  expect.soft(s.copy_encrypt_bytes).toBe(size);
  // The socket never copied user bytes in through TCP: kTLS hands TCP its encrypted record buffers by reference.
  expect.soft(s.copy_user_to_socket_bytes).toBe(0);
  expect.soft(s.copy_linearize_bytes).toBe(0);
  // The wire carried the ciphertext: the plaintext, plus 22 B for each record.
  const again = s.retransmit_bytes!;
  const missed = p.missedEvents ?? 0;
  const records = (s.dev_xmit_bytes! - again - size) / OVERHEAD;
  const tx = `transmit ${s.dev_xmit_bytes}, retransmitted ${again}, missed events ${missed}, file ${size}, by reference ${s.splice_ref_bytes}`;
  console.log(`${r.kernel} ${r.mode}: ${tx}, encrypted ${s.copy_encrypt_bytes}, records ${records}, tls_stat ${JSON.stringify(r.tls?.stat)}`);
  if (missed === 0) {
    expect.soft(Number.isInteger(records), tx).toBe(true);
    expect.soft(records, tx).toBeGreaterThanOrEqual(Math.ceil(size / RECORD));
    if (r.mode === 'ktls-write') expect.soft(records, tx).toBe(writeRecords(size, r.chunkBytes));
  }
  // The record buffers TCP took by reference are that ciphertext (those pushed from the sender's own calls).
  expect.soft(s.splice_ref_bytes, tx).toBeGreaterThan(size);
  expect.soft(s.splice_ref_bytes, tx).toBeLessThanOrEqual(s.dev_xmit_bytes! - again);
  if (r.mode === 'ktls-write') {
    expect.soft(s.copy_file_to_user_bytes).toBe(size);
    expect.soft(p.sender!.derived.cpu_copy_bytes).toBe(2 * size);
  } else {
    expect.soft(s.copy_file_to_user_bytes).toBe(0);
    expect.soft(p.sender!.derived.cpu_copy_bytes).toBe(size);
  }
  expect.soft(s.block_read_bytes).toBe(0);
  // The sink: kTLS RX decrypts (TLS 1.3 without TLS_RX_EXPECT_NO_PAD: into the kernel's buffer) and recv() copies the plaintext out.
  expect.soft(k.copy_socket_to_user_bytes).toBe(size);
  expect.soft(p.sink!.syscalls.recvfrom).toBe(r.receiver.syscalls.recvfrom);
  // The seeds' table: the catalog's textbook row, matched.
  expect.soft(r.textbook!.verdict, r.textbook!.reason).toBe('matches');
}

describe.each([
  { kernel: 'debian-6.12-cloud', release: /^6\.12\./, encrypt: /^fexit\/tls_sw_sendmsg$/ },
  { kernel: 'debian-6.1-cloud', release: /^6\.1\./, encrypt: /^fexit\/tls_sw_sendmsg \+ fexit\/tls_sw_sendpage$/ },
])('$kernel', ({ kernel, release, encrypt }) => {
  it('ktls-write and ktls-sendfile: plaintext equals the file, the encryption pass equals the bytes sent, the ciphertext 22 B a record more', async () => {
    const { run, steps } = await runStepsInKernel({
      kernel,
      timeoutMs: 900_000,
      steps: {
        ulp: ['cat', '/proc/sys/net/ipv4/tcp_available_ulp'],
        doctor: [...zcl, 'doctor', '--json'],
        ktls: [
          ...zcl, 'compare', '--modes', 'ktls-write,ktls-sendfile', '--path', 'loopback', '--duration', '0',
          '--size', String(ODD_SIZE), '--chunk', String(CHUNK), '--json',
        ],
        // What kTLS costs beside its plaintext peers, 2 s each, timed (TCG: the ratios, not the speeds, carry over).
        cost: [
          ...zcl, 'compare', '--modes', 'read-write,sendfile,ktls-write,ktls-sendfile', '--path', 'loopback', '--duration', '2s',
          '--size', String(4 * 2 ** 20), '--chunk', String(128 * 1024), '--json',
        ],
      },
    });
    expect(run.kernelRelease).toMatch(release);
    expect(steps.ulp.stdout.split(/\s+/)).toContain('tls');
    const doctor = JSON.parse(steps.doctor.stdout);
    expect(doctor.checks.find((c: { check: string }) => c.check === 'kTLS')).toMatchObject({ ok: true });
    expect(doctor.counters.filter((c: { source: string | null }) => !c.source)).toEqual([]);
    const rs = results(steps.ktls);
    expect(rs.map((r) => r.mode)).toEqual(['ktls-write', 'ktls-sendfile']);
    for (const r of rs) expectKtls(r, 'tracepoint+fentry', encrypt);
    const cost = results(steps.cost);
    for (const r of cost) {
      expect.soft(r.receiver.checksumOk, r.mode).toBe(true);
      const s = r.probes!.sender!;
      if (r.tls) expect.soft(s.counters.copy_encrypt_bytes, r.mode).toBe(r.bytes);
      console.log(
        `${kernel} ${r.mode}: ${(r.bytes / 2 ** 20).toFixed(0)} MiB in ${r.wallSeconds.toFixed(2)} s, ${r.throughputMiBps.toFixed(1)} MiB/s, ` +
          `sender ${r.sender.cpuSecondsPerGiB.toFixed(2)} CPU s/GiB, sink ${((r.receiver.cpuUserSeconds + r.receiver.cpuSysSeconds) / (r.bytes / 2 ** 30)).toFixed(2)} CPU s/GiB, ` +
          `CPU copies per byte ${s.derived.cpu_copies_per_byte?.toFixed(3)}, encrypt ${s.counters.copy_encrypt_bytes}, by reference ${s.counters.splice_ref_bytes}, to device ${s.counters.dev_xmit_bytes}`,
      );
    }
  }, 1_000_000);
});
