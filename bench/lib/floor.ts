// The floor: two empty programs on the syscall tracepoints (raw_syscalls
// sys_enter/sys_exit, tp_btf), loaded by a small libbpf loader that says
// `attached` and holds them until its stdin ends. What attaching anything there
// costs every syscall of the machine, whatever the program does: the kernel's
// slow syscall path (every task gets SYSCALL_WORK_SYSCALL_TRACEPOINT) and the
// BPF dispatch. bench:watch-cost measures a bystander under it, bench:probes a
// transfer, so the probes' own cost reads as the distance from it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FLOOR_BPF_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("tp_btf/sys_enter") int floor_enter(void *ctx) { return 0; }
SEC("tp_btf/sys_exit") int floor_exit(void *ctx) { return 0; }
`;
// With "stats" as its second argument it turns kernel.bpf_stats on (held by an
// fd, as the lab's probe host does) and, when its stdin ends, prints each
// program's events and ns per event over the time it was attached: what an
// empty program costs in bpf_stats' own terms (its clock reads included).
const FLOOR_C = `
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
int main(int argc, char **argv) {
  int stats = argc > 2 && !strcmp(argv[2], "stats");
  if (stats && bpf_enable_stats(BPF_STATS_RUN_TIME) < 0) return 2;
  struct bpf_object *o = bpf_object__open_file(argv[1], 0);
  if (!o || bpf_object__load(o)) return 1;
  struct bpf_program *p;
  struct bpf_prog_info a[2] = {0}, b;
  __u32 len;
  int i = 0;
  bpf_object__for_each_program(p, o) {
    if (!bpf_program__attach(p)) return 1;
    len = sizeof(a[i]);
    if (i < 2) bpf_obj_get_info_by_fd(bpf_program__fd(p), &a[i], &len);
    i++;
  }
  printf("attached\\n");
  fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {}
  if (stats) {
    printf("stats [");
    i = 0;
    bpf_object__for_each_program(p, o) {
      if (i >= 2) break;
      memset(&b, 0, sizeof(b));
      len = sizeof(b);
      bpf_obj_get_info_by_fd(bpf_program__fd(p), &b, &len);
      unsigned long long n = b.run_cnt - a[i].run_cnt, t = b.run_time_ns - a[i].run_time_ns;
      printf("%s{\\"name\\":\\"floor/%s\\",\\"events\\":%llu,\\"ns\\":%.1f}", i ? "," : "",
             strcmp(bpf_program__name(p), "floor_enter") ? "sys_exit" : "sys_enter", n, n ? (double)t / n : 0.0);
      i++;
    }
    printf("]\\n");
    fflush(stdout);
  }
  bpf_object__close(o);
  return 0;
}`;

/** Compiles the floor's program and loader into dir (which the caller removes). */
export function buildFloor(dir: string): void {
  writeFileSync(join(dir, 'floor.bpf.c'), FLOOR_BPF_C);
  writeFileSync(join(dir, 'floor.c'), FLOOR_C);
  const multiarch = execFileSync('cc', ['-dumpmachine'], { encoding: 'utf8' }).trim();
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c', join(dir, 'floor.bpf.c'), '-o', join(dir, 'floor.bpf.o')]);
  execFileSync('cc', ['-O2', '-o', join(dir, 'floor'), join(dir, 'floor.c'), '-lbpf']);
}

/** Waits for a holder process (the floor's loader, or bench:watch-cost's probe holder) to say
 * `attached`; resolves with a function that ends its stdin (it detaches and exits) and gives
 * what it printed. */
export async function heldUntilStdinEnds(p: ChildProcess, what: string): Promise<() => Promise<string>> {
  const exited = new Promise((r) => p.on('exit', r));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('attached\n')) resolve();
    });
    p.on('exit', (code) => reject(new Error(`${what} exited (${code}) before attaching`)));
  });
  return async () => {
    p.stdin!.end();
    await exited;
    return out;
  };
}

/** Starts the floor's loader (built by buildFloor in dir), with its bpf_stats report when
 * stats; resolves once attached, with a function that detaches it and gives its output. */
export function holdFloor(dir: string, stats = false): Promise<() => Promise<string>> {
  const p = spawn(join(dir, 'floor'), [join(dir, 'floor.bpf.o'), ...(stats ? ['stats'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  return heldUntilStdinEnds(p, "the floor's loader");
}
