import { describe, expect, it } from 'vitest';
import { orderMounts, renderLaunchScript, resolveInRoot } from './rootfs.ts';

describe('container root filesystem', () => {
  const links: Record<string, string> = {
    '/var/run': '/run',
    '/lib': 'usr/lib',
    '/etc/alt': '../opt/alt',
  };
  const lstat = (p: string) => links[p];
  it('resolves symlinks inside the container root', () => {
    expect(resolveInRoot('/var/run/secrets/kubernetes.io/serviceaccount', lstat)).toBe(
      '/run/secrets/kubernetes.io/serviceaccount',
    );
    expect(resolveInRoot('/lib/x', lstat)).toBe('/usr/lib/x');
    expect(resolveInRoot('/etc/alt/conf', lstat)).toBe('/opt/alt/conf');
    expect(resolveInRoot('/data/../data/x', lstat)).toBe('/data/x');
  });

  it('mounts parents before children and quotes everything', () => {
    const ordered = orderMounts([
      { target: '/data/sub', source: '/a', readOnly: false, file: false },
      { target: '/data', source: '/b', readOnly: true, file: false },
    ]);
    expect(ordered.map((m) => m.target)).toEqual(['/data', '/data/sub']);
    const script = renderLaunchScript({
      rootDir: '/r',
      upperDir: '/u',
      workDir: '/w',
      hostname: 'pod',
      mounts: ordered,
      cgroupProcs: ['/cg/cgroup.procs'],
      uid: 1000,
      gid: 1000,
      supplementalGroups: [2000],
      workingDir: '/app',
      argv: ['sh', '-c', "echo 'it''s'"],
      startedMarker: '/m',
    });
    expect(script).toContain("echo $$ > '/cg/cgroup.procs'");
    expect(script).toContain(
      "/usr/bin/mount --bind '/b' '/r/data'\n/usr/bin/mount -o remount,bind,ro '/r/data'",
    );
    expect(script).toContain("--userspec=1000:1000 --groups=2000 '/r'");
    expect(script).toContain(`'sh' '-c' 'echo '\\''it'\\'''\\''s'\\'''`);
    expect(script.indexOf('/r/data\n')).toBeLessThan(script.indexOf('/r/data/sub'));
  });
});
