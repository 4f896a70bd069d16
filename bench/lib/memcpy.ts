// The physical reference for the benchmarks: this machine's memcpy bandwidth
// with one thread, buffers well above the caches (a small C program compiled
// here, best of a few passes), and what it implies as a ceiling for a mode
// that makes `copies` CPU copies of every byte.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MEMCPY_C = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  size_t n = (size_t)atol(argv[1]) << 20;
  int passes = atoi(argv[2]);
  char *a = malloc(n), *b = malloc(n);
  if (!a || !b) return 1;
  memset(a, 1, n); memset(b, 2, n);
  double best = 0;
  for (int p = 0; p < passes; p++) {
    double t0 = now();
    memcpy(b, a, n);
    double t = now() - t0;
    double bw = n / t / 1048576.0;
    if (bw > best) best = bw;
    a[p % n]++;
  }
  printf("%.0f\\n", best + 0 * b[n / 2]);
  return 0;
}`;

/** MiB/s of one thread's memcpy (best of `passes`, `mib` MiB each); the median of `reps` runs. */
export function memcpyMiBps(mib = 256, passes = 8, reps = 3): { median: number; min: number; max: number } {
  const dir = mkdtempSync(join(tmpdir(), 'zcl-memcpy-'));
  try {
    const bin = join(dir, 'memcpy');
    writeFileSync(`${bin}.c`, MEMCPY_C);
    execFileSync('cc', ['-O2', '-o', bin, `${bin}.c`]);
    const xs = Array.from({ length: reps }, () => Number(execFileSync(bin, [String(mib), String(passes)], { encoding: 'utf8' }).trim())).sort((x, y) => x - y);
    return { median: xs[Math.floor(xs.length / 2)], min: xs[0], max: xs[xs.length - 1] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The ceiling a mode's copies imply if one CPU did them all: memcpy bandwidth / copies per byte (none: no CPU-copy bound). */
export function copyCeiling(memcpy: number, copies: number): number | null {
  return copies > 0 ? memcpy / copies : null;
}

export const MEMCPY_NOTE =
  'ceiling = one thread\'s memcpy bandwidth / the sender\'s CPU copies per byte (the textbook count): the rate if the ' +
  'sender did nothing but its copies at memcpy speed; the receiver\'s copy runs on another CPU in parallel (a bound of ' +
  'memcpy / 1 of its own), and the kernel\'s per-packet work (headers, ACKs, wakeups) is in neither.';
