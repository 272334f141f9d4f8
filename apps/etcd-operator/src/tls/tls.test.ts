import { describe, expect, it } from 'vitest';
import {
  createClusterCa,
  issueClientCertificate,
  issueMemberCertificate,
  memberCertificateSans,
} from './certs.ts';
import { inspectCertificate, isSignedBy } from './pki.ts';
import {
  needsRenewal,
  nextCertificateRotation,
  renewalTime,
  type MemberCertificateState,
} from './rotation.ts';

const ref = { name: 'demo', namespace: 'prod' };
const DAY = 86_400_000;

describe('certificates', () => {
  it('issues member certificates with every name the member is reached by, signed by the CA', async () => {
    const ca = await createClusterCa(ref);
    const cert = await issueMemberCertificate(ca, ref, 'demo-1', 30);
    const info = inspectCertificate(cert.certPem);
    expect(info.sans).toEqual(
      expect.arrayContaining([
        'demo-1.demo.prod.svc',
        'demo-1.demo.prod.svc.cluster.local',
        'demo-client.prod.svc',
        'localhost',
        '127.0.0.1',
      ]),
    );
    expect(info.subject).toContain('CN=demo-1');
    expect(isSignedBy(cert.certPem, ca.certPem)).toBe(true);
    const other = await createClusterCa(ref);
    expect(isSignedBy(cert.certPem, other.certPem)).toBe(false);
    const days = (info.notAfter.getTime() - Date.now()) / DAY;
    expect(Math.round(days)).toBe(30);
    expect(cert.keyPem).toContain('BEGIN PRIVATE KEY');
  });

  it('client certificates carry no SANs and the client usage', async () => {
    const ca = await createClusterCa(ref);
    const c = await issueClientCertificate(ca, 'etcd-operator');
    expect(inspectCertificate(c.certPem).sans).toEqual([]);
    expect(isSignedBy(c.certPem, ca.certPem)).toBe(true);
  });

  it('SANs honour a custom cluster domain', () => {
    expect(memberCertificateSans({ ...ref, clusterDomain: 'corp.local' }, 'demo-0')).toContain(
      'demo-0.demo.prod.svc.corp.local',
    );
  });
});

describe('renewal', () => {
  const validity = { notBefore: new Date(0), notAfter: new Date(90 * DAY) };
  it('renews when a third of the validity is left, or 7 days, whichever is earlier', () => {
    expect(renewalTime(validity).getTime()).toBe(60 * DAY);
    expect(needsRenewal(validity, new Date(59 * DAY))).toBe(false);
    expect(needsRenewal(validity, new Date(60 * DAY))).toBe(true);
    const long = { notBefore: new Date(0), notAfter: new Date(3650 * DAY) };
    expect(renewalTime(long).getTime()).toBeLessThan(3650 * DAY - 7 * DAY);
    const short = { notBefore: new Date(0), notAfter: new Date(9 * DAY) };
    expect(renewalTime(short).getTime()).toBe(2 * DAY);
  });
});

describe('which member to rotate next', () => {
  const fresh = { notBefore: new Date(0), notAfter: new Date(90 * DAY) };
  const m = (
    member: string,
    over: Partial<MemberCertificateState> = {},
  ): MemberCertificateState => ({
    member,
    validity: fresh,
    healthy: true,
    isLeader: false,
    ...over,
  });
  const now = new Date(10 * DAY);

  it('nothing due: none, with the next check time', () => {
    const d = nextCertificateRotation([m('a'), m('b', { isLeader: true })], now);
    expect(d).toEqual({ type: 'none', nextCheck: new Date(60 * DAY) });
  });
  it('a missing certificate first, regardless of health', () => {
    const d = nextCertificateRotation(
      [m('a', { healthy: false }), m('b', { validity: undefined })],
      now,
    );
    expect(d).toEqual({ type: 'rotate', member: 'b', reason: 'missing' });
  });
  it('expiring: followers before the leader, earliest expiry first', () => {
    const late = new Date(70 * DAY);
    const due = (n: number) => ({ notBefore: new Date(0), notAfter: new Date(n * DAY) });
    const members = [
      m('a', { isLeader: true, validity: due(80) }),
      m('b', { validity: due(90) }),
      m('c', { validity: due(85) }),
    ];
    expect(nextCertificateRotation(members, late)).toEqual({
      type: 'rotate',
      member: 'c',
      reason: 'expiring',
    });
    expect(nextCertificateRotation([members[0]], late)).toEqual({
      type: 'rotate',
      member: 'a',
      reason: 'expiring',
    });
  });
  it('mismatched (new CA or SANs) before merely expiring', () => {
    const late = new Date(70 * DAY);
    const d = nextCertificateRotation([m('a'), m('b', { mismatched: true, isLeader: true })], late);
    expect(d).toEqual({ type: 'rotate', member: 'b', reason: 'mismatched' });
  });
  it('waits while any member is unhealthy', () => {
    const late = new Date(70 * DAY);
    const d = nextCertificateRotation([m('a'), m('b', { healthy: false })], late);
    expect(d).toMatchObject({ type: 'wait' });
  });
  it('a requested rotation renews valid certificates too, the leader last', () => {
    const d = nextCertificateRotation(
      [
        m('a', { requested: true, isLeader: true }),
        m('b', { requested: true }),
        m('c', { requested: false }),
      ],
      now,
    );
    expect(d).toEqual({ type: 'rotate', member: 'b', reason: 'requested' });
    expect(nextCertificateRotation([m('a', { requested: true, isLeader: true })], now)).toEqual({
      type: 'rotate',
      member: 'a',
      reason: 'requested',
    });
  });
  it('the next member waits until the previous one serves its new certificate', () => {
    const members = [m('a', { serving: 'stale' }), m('b', { requested: true, serving: 'current' })];
    expect(nextCertificateRotation(members, now)).toEqual({
      type: 'wait',
      reason: 'waiting for a to serve its new certificate',
    });
    members[0].serving = 'current';
    expect(nextCertificateRotation(members, now)).toMatchObject({ type: 'rotate', member: 'b' });
  });
  it('nothing requested and nothing due: a stale member alone blocks nothing', () => {
    expect(nextCertificateRotation([m('a', { serving: 'stale' }), m('b')], now)).toMatchObject({
      type: 'none',
    });
  });
});
