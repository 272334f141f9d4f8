// sandbox/http-echo: answers every request with -text (like hashicorp/http-echo); /healthz is 200.
import { createServer } from 'node:http';
import { hostname } from 'node:os';

let text = process.env.ECHO_TEXT ?? 'hello';
let listen = process.env.ECHO_LISTEN ?? ':5678';
for (const arg of process.argv.slice(2)) {
  const m = /^-{1,2}([a-z-]+)=(.*)$/.exec(arg);
  if (m && m[1] === 'text') text = m[2];
  if (m && m[1] === 'listen') listen = m[2];
}
const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
const host = listen.slice(0, listen.lastIndexOf(':')) || undefined;
createServer((req, res) => {
  res.setHeader('X-Hostname', hostname());
  res.end(req.url === '/healthz' ? 'ok\n' : `${text}\n`);
}).listen(port, host, () => console.log(`http-echo listening on ${listen}`));
process.on('SIGTERM', () => {
  console.log('http-echo: SIGTERM');
  process.exit(0);
});
