// zcl clean: removes what the lab keeps or may have left behind: its data files
// (not those a run is using), temp files of killed generations, network
// namespaces of dead zcl processes, and processes the lab started whose zcl is gone.
import type { Command } from 'commander';
import { cleanDataDir } from '../run/datafiles.js';
import { sweepStalePaths } from '../run/netpath.js';
import { sweepOrphans } from '../core/owner.js';
import { formatSize } from '../schema/units.js';

export function registerClean(program: Command): void {
  program
    .command('clean')
    .description("remove the lab's data files and anything a killed zcl left behind (orphaned processes, namespaces, temp files)")
    .option('--json', 'print what was removed as JSON')
    .addHelpText('after', '\nData files are made again when a run needs them. Files a running run uses are kept.\nEvery zcl command also sweeps orphaned processes and namespaces when it starts.\n')
    .action(async (o: { json?: boolean }) => {
      const processes = sweepOrphans();
      const namespaces = await sweepStalePaths();
      const data = cleanDataDir();
      if (o.json) {
        process.stdout.write(JSON.stringify({ processes, namespaces, files: data.removed, filesInUse: data.inUse, bytes: data.bytes }, null, 2) + '\n');
        return;
      }
      const lines = [
        `data files: removed ${data.removed.length} (${formatSize(data.bytes)})${data.inUse.length ? `; kept ${data.inUse.length} in use` : ''}`,
        `orphaned processes killed: ${processes.length ? processes.map((p) => `${p.pid} (${p.comm})`).join(', ') : 'none'}`,
        `stale namespaces deleted: ${namespaces.length ? namespaces.join(', ') : 'none'}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
