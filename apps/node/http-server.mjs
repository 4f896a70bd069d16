// node-http: what Node apps do to serve a file. Node's http server answers
// GET (any path) with FILE, piping fs.createReadStream into the response
// (Node core has no socket sendfile). Serves one connection and exits, or
// keeps serving with --keep.
//
//   node http-server.mjs HOST PORT FILE [--keep]
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { pipeline } from 'node:stream';

const [host, portArg, file, ...rest] = process.argv.slice(2);
const port = Number(portArg);
if (!host || !file || !Number.isInteger(port) || port < 0 || port > 65535 || rest.some((o) => o !== '--keep')) {
  process.stderr.write('usage: node-http HOST PORT FILE [--keep]\n');
  process.exit(2);
}
const keep = rest.includes('--keep');
let size;
try {
  const st = statSync(file);
  if (!st.isFile()) throw new Error('not a regular file');
  size = st.size;
} catch (e) {
  process.stderr.write(`node-http: FILE '${file}': ${e.message}\n`);
  process.exit(2);
}

const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
  pipeline(createReadStream(file), res, (err) => {
    if (err) process.stderr.write(`node-http: ${err.message}\n`);
  });
});
server.on('connection', (sock) => {
  // One connection: exit once it has closed. (server.close() here would also
  // close the connection as idle before its request arrives, on Node >= 19.)
  if (!keep) sock.on('close', () => process.exit(0));
});
server.listen(port, host, () => process.stdout.write(`listening ${server.address().port}\n`));
