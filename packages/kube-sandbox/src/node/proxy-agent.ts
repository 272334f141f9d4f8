// The userspace service proxy. Runs as its own process inside the sandbox's service network
// namespace (where all of 10.96.0.0/16 is local), listening on clusterIP:port for every Service port
// and forwarding round-robin to ready endpoints. Configured by its parent over the IPC channel with
// full snapshots. Only node built-ins here: it is started directly by `node proxy-agent.ts`.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface ProxyRule {
  ip: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  backends: Array<{ ip: string; port: number }>;
}

interface Listener {
  rule: ProxyRule;
  next: number;
  close(): void;
}

/** Listens for a set of rules and forwards connections; update() reconciles to a new set. */
export class Forwarder {
  readonly #listeners = new Map<string, Listener>();
  readonly #sockets = new Set<Socket>();
  readonly onError: (msg: string) => void;

  constructor(onError: (msg: string) => void = () => undefined) {
    this.onError = onError;
  }

  static key(r: ProxyRule): string {
    return `${r.protocol}:${r.ip}:${String(r.port)}`;
  }

  update(rules: ProxyRule[]): void {
    const wanted = new Map(rules.map((r) => [Forwarder.key(r), r]));
    for (const [k, l] of this.#listeners) {
      if (!wanted.has(k)) {
        l.close();
        this.#listeners.delete(k);
      }
    }
    for (const [k, r] of wanted) {
      const existing = this.#listeners.get(k);
      if (existing) existing.rule = r;
      else this.#listeners.set(k, r.protocol === 'UDP' ? this.#udp(r) : this.#tcp(r));
    }
  }

  #pick(l: Listener): { ip: string; port: number } | undefined {
    const b = l.rule.backends;
    if (b.length === 0) return undefined;
    l.next = (l.next + 1) % b.length;
    return b[l.next];
  }

  #tcp(rule: ProxyRule): Listener {
    const l: Listener = { rule, next: -1, close: () => undefined };
    const server: Server = createServer((client) => {
      this.#sockets.add(client);
      client.on('close', () => this.#sockets.delete(client));
      client.on('error', () => undefined);
      const attempt = (tries: number) => {
        const backend = this.#pick(l);
        if (!backend) {
          client.destroy();
          return;
        }
        const upstream = connect({ host: backend.ip, port: backend.port });
        this.#sockets.add(upstream);
        upstream.on('close', () => this.#sockets.delete(upstream));
        let connected = false;
        upstream.on('connect', () => {
          connected = true;
          client.pipe(upstream);
          upstream.pipe(client);
        });
        upstream.on('error', () => {
          if (!connected && tries > 1) attempt(tries - 1);
          else client.destroy();
        });
        client.on('close', () => upstream.destroy());
        upstream.on('end', () => client.end());
      };
      attempt(Math.min(3, l.rule.backends.length));
    });
    server.on('error', (err) => this.onError(`listen ${Forwarder.key(rule)}: ${err.message}`));
    server.listen(rule.port, rule.ip);
    l.close = () => server.close();
    return l;
  }

  #udp(rule: ProxyRule): Listener {
    const l: Listener = { rule, next: -1, close: () => undefined };
    const sock: UdpSocket = createSocket('udp4');
    const sessions = new Map<string, { up: UdpSocket; timer: NodeJS.Timeout }>();
    sock.on('error', (err) => this.onError(`udp ${Forwarder.key(rule)}: ${err.message}`));
    sock.on('message', (msg, rinfo) => {
      const id = `${rinfo.address}:${String(rinfo.port)}`;
      let s = sessions.get(id);
      if (!s) {
        const backend = this.#pick(l);
        if (!backend) return;
        const up = createSocket('udp4');
        up.on('error', () => undefined);
        up.on('message', (reply) => sock.send(reply, rinfo.port, rinfo.address));
        up.connect(backend.port, backend.ip);
        s = { up, timer: setTimeout(() => undefined, 0) };
        sessions.set(id, s);
      }
      clearTimeout(s.timer);
      const session = s;
      s.timer = setTimeout(() => {
        session.up.close();
        sessions.delete(id);
      }, 30000);
      const send = () => session.up.send(msg);
      try {
        send();
      } catch {
        session.up.once('connect', send);
      }
    });
    sock.bind(rule.port, rule.ip);
    l.close = () => {
      for (const s of sessions.values()) {
        clearTimeout(s.timer);
        s.up.close();
      }
      sock.close();
    };
    return l;
  }

  close(): void {
    for (const l of this.#listeners.values()) l.close();
    this.#listeners.clear();
    for (const s of this.#sockets) s.destroy();
  }
}

function main(): void {
  const f = new Forwarder((m) => process.stderr.write(m + '\n'));
  process.on('message', (msg: { type: string; rules?: ProxyRule[] }) => {
    if (msg.type === 'config') {
      f.update(msg.rules ?? []);
      process.send?.({ type: 'applied' });
    }
  });
  // the parent going away (even crashing) ends the agent
  process.on('disconnect', () => {
    f.close();
    process.exit(0);
  });
  process.send?.({ type: 'ready' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
