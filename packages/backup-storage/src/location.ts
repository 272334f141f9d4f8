export type Location =
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'file'; path: string };

/** Parses a backup location URL (s3://bucket/prefix or file:///abs/path) with errors that name the problem. */
export function parseLocation(url: string): Location {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(
      `invalid backup location ${JSON.stringify(url)}: not a URL (expected s3://bucket/prefix or file:///path)`,
    );
  }
  if (u.protocol === 's3:') {
    if (!u.hostname)
      throw new Error(`invalid backup location ${JSON.stringify(url)}: missing bucket name`);
    return {
      kind: 's3',
      bucket: u.hostname,
      prefix: decodeURIComponent(u.pathname.replace(/^\/+/, '')),
    };
  }
  if (u.protocol === 'file:') {
    if (u.hostname)
      throw new Error(
        `invalid backup location ${JSON.stringify(url)}: file URLs take no host (use file:///path)`,
      );
    return { kind: 'file', path: decodeURIComponent(u.pathname) };
  }
  throw new Error(
    `invalid backup location ${JSON.stringify(url)}: unsupported scheme ${u.protocol} (expected s3: or file:)`,
  );
}
