// The floor: two empty programs on the syscall tracepoints (raw_syscalls
// sys_enter/sys_exit, tp_btf), loaded by a small libbpf loader that says
// `attached` and holds them until its stdin ends. What attaching anything there
// costs every syscall of the machine, whatever the program does: the kernel's
// slow syscall path (every task gets SYSCALL_WORK_SYSCALL_TRACEPOINT) and the
// BPF dispatch. bench:watch-cost measures a bystander under it, bench:probes a
// transfer, so the probes' own cost reads as the distance from it.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FLOOR_BPF_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("tp_btf/sys_enter") int floor_enter(void *ctx) { return 0; }
SEC("tp_btf/sys_exit") int floor_exit(void *ctx) { return 0; }
`;
const FLOOR_C = `
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>
int main(int argc, char **argv) {
  struct bpf_object *o = bpf_object__open_file(argv[1], 0);
  if (!o || bpf_object__load(o)) return 1;
  struct bpf_program *p;
  bpf_object__for_each_program(p, o) if (!bpf_program__attach(p)) return 1;
  printf("attached\\n");
  fflush(stdout);
  char b[64];
  while (read(0, b, sizeof b) > 0) {}
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

/** Starts the floor's loader (built by buildFloor in dir); resolves once attached,
 * with a function that detaches it (ends its stdin) and waits for it to exit. */
export async function holdFloor(dir: string): Promise<() => Promise<void>> {
  const p = spawn(join(dir, 'floor'), [join(dir, 'floor.bpf.o')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((r) => p.on('exit', r));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('attached\n')) resolve();
    });
    p.on('exit', (code) => reject(new Error(`the floor's loader exited (${code}) before attaching`)));
  });
  return async () => {
    p.stdin!.end();
    await exited;
  };
}
