// The VM harness lives in server/run/kernel-vm.ts (zcl report --kernel uses it too).
export * from '../../server/run/kernel-vm.js';
