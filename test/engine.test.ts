// Every mode on every path moves exactly the file's bytes, intact, and the
// engine's syscall counts are what its loop implies.
import { describe, expect, it } from 'vitest';
import { LAB_MODE_NAMES, MODE_NAMES, MODES, PATH_NAMES, type ModeName, type PathName } from '../scenarios/catalog.js';
import { runTransfer } from '../server/session/session.js';
import { parseRunSpec } from '../server/schema/run-spec.js';
import { addon } from '../server/native.js';
import { CHUNK, coldSize, ODD_SIZE, ourNamespaces } from './helpers.js';

const chunks = Math.ceil(ODD_SIZE / CHUNK);

/** What each mode's loop issues for `chunks` chunks. */
function expectedSyscalls(mode: ModeName): Record<string, number> | undefined {
  switch (mode) {
    case 'read-write': return { read: chunks, write: chunks };
    case 'mmap-write': return { mmap: 1, write: chunks, munmap: 1 };
    case 'sendfile':
    case 'sendfile-nogather': return { sendfile: chunks };
    case 'splice': return { splice: 2 * chunks }; // file -> pipe, pipe -> socket
    default: return undefined; // msg-zerocopy and node-stream: checked below
  }
}

// The lab's own modes (the app modes: test/app-modes.test.ts).
const cells: [ModeName, PathName][] = LAB_MODE_NAMES.flatMap((m) => {
  const only = (MODES[m] as { path?: PathName }).path;
  return (only ? [only] : PATH_NAMES).map((p) => [m, p] as [ModeName, PathName]);
});

describe('transfer engine', () => {
  it('implements every native mode of the catalog', () => {
    expect(addon().nativeModes.sort()).toEqual(MODE_NAMES.filter((m) => MODES[m].native).sort());
  });

  it.each(cells)('%s over %s moves the file exactly', async (mode, path) => {
    const spec = parseRunSpec({ mode, path, sizeBytes: ODD_SIZE, chunkBytes: CHUNK });
    const r = await runTransfer(spec);
    expect(r.bytes).toBe(ODD_SIZE);
    expect(r.receiver.bytes).toBe(ODD_SIZE);
    expect(r.receiver.checksumOk).toBe(true);
    expect(r.device.scatterGather).toBe(path !== 'veth-nosg');
    const want = expectedSyscalls(mode);
    if (want) expect(r.sender.syscalls).toEqual(want);
    if (mode === 'msg-zerocopy') {
      expect(r.zerocopy!.sends).toBe(chunks);
      expect(r.zerocopy!.completions).toBe(chunks);
      // sends that failed with ENOBUFS and were retried are syscalls too
      expect(r.sender.syscalls.sendto).toBeGreaterThanOrEqual(chunks);
      expect(r.sender.syscalls.mmap).toBe(1);
    }
    if (mode === 'io_uring-send' || mode === 'io_uring-send-zc') {
      // 8 linked sends per io_uring_enter (kUringBatch); more enters only wait for completions (and, for SEND_ZC, notifications)
      const batches = Math.ceil(chunks / 8);
      expect(r.uring!.sqes).toBe(chunks);
      expect(r.uring!.sends).toBe(chunks);
      expect(r.sender.syscalls.io_uring_enter).toBe(r.uring!.enters);
      expect(r.uring!.enters).toBeGreaterThanOrEqual(batches);
      if (mode === 'io_uring-send') expect(r.sender.syscalls.read).toBe(chunks);
      else {
        expect(r.sender.syscalls).toMatchObject({ mmap: 1, munmap: 1 });
        expect(r.zerocopy!.sends).toBe(chunks);
        expect(r.zerocopy!.completions).toBe(chunks);
      }
    }
    if (mode === 'io_uring-splice') {
      // both splices of a chunk (file -> pipe linked to pipe -> socket) in one io_uring_enter
      expect(r.uring!.sqes).toBe(2 * chunks);
      expect(r.uring!.sends).toBe(chunks);
      expect(r.sender.syscalls.io_uring_enter).toBe(r.uring!.enters);
      expect(r.uring!.enters).toBeGreaterThanOrEqual(chunks);
    }
    if (mode === 'node-stream') expect(r.sender.engine).toBe('node');
    expect(ourNamespaces()).toEqual([]);
  });

  it('discard sink receives every byte without a checksum', async () => {
    const r = await runTransfer(parseRunSpec({ mode: 'sendfile', sink: 'discard', sizeBytes: ODD_SIZE, chunkBytes: CHUNK }));
    expect(r.receiver.bytes).toBe(ODD_SIZE);
    expect(r.receiver.checksumOk).toBeNull();
  });

  it('splice sink receives every byte through a pipe, without a checksum', async () => {
    const r = await runTransfer(parseRunSpec({ mode: 'sendfile', sink: 'splice', sizeBytes: ODD_SIZE, chunkBytes: CHUNK }));
    expect(r.receiver.bytes).toBe(ODD_SIZE);
    expect(r.receiver.checksumOk).toBeNull();
    expect(r.receiver.syscalls.recvfrom).toBeUndefined();
    // socket -> pipe, then pipe -> /dev/null, but for the last (EOF) call
    expect(r.receiver.syscalls.splice).toBe(2 * r.receiver.socketSplices! - 1);
  });

  it('zerocopy-receive sink checksums every byte, mapped or copied', async () => {
    const r = await runTransfer(parseRunSpec({ mode: 'msg-zerocopy', sink: 'zerocopy-receive', sizeBytes: ODD_SIZE, chunkBytes: CHUNK }));
    expect(r.receiver.bytes).toBe(ODD_SIZE);
    expect(r.receiver.checksumOk).toBe(true);
    const z = r.receiver.zerocopyReceive!;
    expect(z.mappedBytes + z.copiedBytes).toBe(ODD_SIZE);
    expect(z.mappedBytes % 4096).toBe(0);
    expect(r.receiver.syscalls.getsockopt).toBe(z.calls);
    expect(r.receiver.syscalls).toMatchObject({ mmap: 1, munmap: 1 });
  });

  it('cold cache starts with none of the file cached', async () => {
    const r = await runTransfer(parseRunSpec({ mode: 'read-write', cache: 'cold', sizeBytes: coldSize(1), chunkBytes: CHUNK }));
    expect(r.file.pagesCachedBefore).toBe(0);
    expect(r.file.pages).toBe(Math.ceil(coldSize(1) / 4096));
    expect(r.receiver.checksumOk).toBe(true);
  });

  it('warm cache starts with all of the file cached', async () => {
    const r = await runTransfer(parseRunSpec({ mode: 'read-write', cache: 'warm', sizeBytes: ODD_SIZE, chunkBytes: CHUNK }));
    expect(r.file.pagesCachedBefore).toBe(r.file.pages);
  });
});
