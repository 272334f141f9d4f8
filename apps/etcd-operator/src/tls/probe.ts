// Which certificate a member actually serves: one TLS handshake, verified like any client would
// (the CA, and the host name or the given server name), reporting the leaf's fingerprint. The
// rotation waits on this, so "rotated" means etcd serves the new certificate, not merely that a
// Secret changed.
import { isIP } from 'node:net';
import { checkServerIdentity, connect } from 'node:tls';

export interface ProbeTls {
  ca: string;
  cert?: string;
  key?: string;
  /** Verify the certificate against this name instead of the URL's host. */
  serverName?: string;
}

/** SHA-256 fingerprint (colon-separated hex) of the certificate served at `url`, or undefined. */
export async function servingCertificateFingerprint(
  url: string,
  tls: ProbeTls,
  timeoutMs = 3000,
): Promise<string | undefined> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return undefined;
  }
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const name = tls.serverName ?? host;
  return await new Promise<string | undefined>((resolve) => {
    const socket = connect({
      host,
      port: Number(target.port || 443),
      ca: tls.ca,
      ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
      // SNI must not be an IP address; the identity check below uses `name` either way.
      ...(isIP(name) ? {} : { servername: name }),
      // node's own check, against the name we mean rather than the dialled address.
      checkServerIdentity: (_host, cert) => checkServerIdentity(name, cert),
      rejectUnauthorized: true,
    });
    const done = (v: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('secureConnect', () => done(socket.getPeerX509Certificate()?.fingerprint256));
    socket.once('error', () => done(undefined));
  });
}
