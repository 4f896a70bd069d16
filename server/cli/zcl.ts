#!/usr/bin/env node
// zcl: the lab's command line. Ctrl-C is handled from the first moment, before
// the commands' modules load (that takes a second on a busy machine): a Ctrl-C
// then still exits 130 through the cleanup, never by the default signal death.
import { installInterrupt } from './interrupt.js';

// `ps` and `top` show the command as zcl does (the comm is its first 15 characters).
process.title = ['zcl', ...process.argv.slice(2)].join(' ');
installInterrupt();
await import('./main.js');
