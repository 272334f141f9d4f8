import { BackupError } from './errors.ts';

export type Location =
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'file'; path: string };

function invalid(url: string, why: string): BackupError {
  return new BackupError(
    'InvalidLocation',
    `invalid backup location ${JSON.stringify(url)}: ${why}`,
  );
}

/** S3 bucket naming rules (the subset every S3-compatible server enforces). */
export function bucketNameProblem(bucket: string): string | undefined {
  if (bucket.length < 3 || bucket.length > 63) return 'bucket names are 3 to 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket))
    return 'bucket names use lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit';
  if (bucket.includes('..')) return 'bucket names contain no two adjacent dots';
  return undefined;
}

/** Parses a backup location URL (s3://bucket/prefix or file:///abs/path) with errors that name the problem. */
export function parseLocation(url: string): Location {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(url, 'not a URL (expected s3://bucket/prefix or file:///path)');
  }
  if (u.search || u.hash) throw invalid(url, 'query strings and fragments are not allowed');
  if (u.username || u.password)
    throw invalid(url, 'credentials do not belong in the URL; put them in a Secret');
  if (u.protocol === 's3:') {
    if (!u.hostname) throw invalid(url, 'missing bucket name');
    if (u.port)
      throw invalid(url, 'an s3 URL names a bucket, not a host:port (set the endpoint separately)');
    const problem = bucketNameProblem(u.hostname);
    if (problem) throw invalid(url, `bad bucket name ${JSON.stringify(u.hostname)}: ${problem}`);
    const prefix = decodeURIComponent(u.pathname).replace(/^\/+/, '').replace(/\/+$/, '');
    if (prefix.split('/').some((p) => p === '' || p === '.' || p === '..') && prefix !== '')
      throw invalid(url, 'the prefix has empty, "." or ".." segments');
    return { kind: 's3', bucket: u.hostname, prefix };
  }
  if (u.protocol === 'file:') {
    if (u.hostname) throw invalid(url, 'file URLs take no host (use file:///path)');
    const raw = decodeURIComponent(u.pathname);
    // new URL() already resolved "..", so compare against the text given to catch it.
    if (/(^|\/)\.\.?(\/|$)/.test(url.slice('file://'.length)))
      throw invalid(url, 'the path has "." or ".." segments');
    const path = raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
    if (path === '/')
      throw invalid(url, 'refusing to use the filesystem root as a backup location');
    return { kind: 'file', path };
  }
  throw invalid(url, `unsupported scheme ${u.protocol} (expected s3: or file:)`);
}

/** The canonical URL text for a location. */
export function formatLocation(loc: Location): string {
  return loc.kind === 's3'
    ? `s3://${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ''}`
    : `file://${loc.path}`;
}
