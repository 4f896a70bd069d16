// The short fault campaign (issue 11): every campaign of `npm run soak` at a
// few cycles each, against the built lab (dist/). Zero crashes, zero answers
// of 5xx, nothing left behind. The full campaign: npm run soak. It counts what
// is left system-wide (BPF programs no process holds, namespaces, veths), so
// `npm test` runs it alone, after the parallel files (with the kernel tests).
import { beforeAll, describe, expect, it } from 'vitest';
import { CAMPAIGNS, runSoak, soakNotes, soakTable, type SoakResult } from '../bench/soak/index.js';

let soak: SoakResult;

beforeAll(async () => {
  soak = await runSoak({ quick: true, maxMinutes: 6, log: (l) => process.stderr.write(`soak: ${l}\n`) });
  process.stdout.write(`\n${soakTable(soak.rows)}\n\n${soakNotes(soak.rows)}\n`);
}, 15 * 60_000);

describe('soak (quick): kills, Ctrl-Cs, cancels and hostile inputs', () => {
  it('ran every campaign', () => {
    expect(soak.rows.map((r) => r.cycles > 0)).toEqual(CAMPAIGNS.map(() => true));
  });
  for (const [i, name] of CAMPAIGNS.entries()) {
    it(`${name}: no crash, no 5xx, nothing left behind`, () => {
      const r = soak.rows[i];
      expect(r, `campaign ${name} did not run`).toBeDefined();
      const notes = r.notes.slice(0, 15).join('\n');
      expect({ crashes: r.crashes, fivexx: r.fivexx, leftovers: r.leftovers }, notes).toEqual({
        crashes: 0,
        fivexx: 0,
        leftovers: { processes: 0, namespaces: 0, veths: 0, bpfProgs: 0, tempFiles: 0 },
      });
    });
  }
});
