// When certificates are renewed and in what order. Pure: the caller reads the certificates' dates
// and the members' health; this says which one member to rotate now, if any.

export interface RenewPolicy {
  /** Renew when less than this fraction of the validity remains (default 1/3, like cert-manager). */
  renewBeforeFraction: number;
  /** ...or when fewer than this many days remain, whichever comes first. */
  minRemainingDays: number;
}

export const DEFAULT_RENEW_POLICY: RenewPolicy = {
  renewBeforeFraction: 1 / 3,
  minRemainingDays: 7,
};

export function renewalTime(
  validity: { notBefore: Date; notAfter: Date },
  policy: RenewPolicy = DEFAULT_RENEW_POLICY,
): Date {
  const start = validity.notBefore.getTime();
  const end = validity.notAfter.getTime();
  const byFraction = end - (end - start) * policy.renewBeforeFraction;
  const byDays = end - policy.minRemainingDays * 86_400_000;
  return new Date(Math.min(byFraction, byDays));
}

export function needsRenewal(
  validity: { notBefore: Date; notAfter: Date },
  now: Date,
  policy: RenewPolicy = DEFAULT_RENEW_POLICY,
): boolean {
  return now.getTime() >= renewalTime(validity, policy).getTime();
}

export interface MemberCertificateState {
  member: string;
  /** Absent when the member has no certificate yet (it must be issued before its pod starts). */
  validity?: { notBefore: Date; notAfter: Date };
  /** The certificate was not signed by the current CA, or its SANs are stale. */
  mismatched?: boolean;
  healthy: boolean;
  isLeader: boolean;
}

export type RotationDecision =
  | { type: 'none'; nextCheck?: Date }
  | { type: 'rotate'; member: string; reason: 'missing' | 'expiring' | 'mismatched' }
  | { type: 'wait'; reason: string };

/**
 * One member at a time, and only while every member is healthy, so a rotation (which restarts
 * the member) never costs quorum. Missing certificates first (they block a member from starting,
 * so no health gate), then mismatched, then by earliest expiry; the leader goes last among equals
 * so leadership moves at most once.
 */
export function nextCertificateRotation(
  members: MemberCertificateState[],
  now: Date,
  policy: RenewPolicy = DEFAULT_RENEW_POLICY,
): RotationDecision {
  const missing = members.find((m) => !m.validity);
  if (missing) return { type: 'rotate', member: missing.member, reason: 'missing' };
  const due = members
    .filter((m) => m.mismatched || needsRenewal(m.validity!, now, policy))
    .sort(
      (a, b) =>
        Number(Boolean(b.mismatched)) - Number(Boolean(a.mismatched)) ||
        Number(a.isLeader) - Number(b.isLeader) ||
        a.validity!.notAfter.getTime() - b.validity!.notAfter.getTime() ||
        a.member.localeCompare(b.member),
    );
  const first = due[0];
  if (!first) {
    const next = Math.min(...members.map((m) => renewalTime(m.validity!, policy).getTime()));
    return Number.isFinite(next) ? { type: 'none', nextCheck: new Date(next) } : { type: 'none' };
  }
  const unhealthy = members.filter((m) => !m.healthy).map((m) => m.member);
  if (unhealthy.length > 0) {
    return { type: 'wait', reason: `members not healthy: ${unhealthy.join(', ')}` };
  }
  return {
    type: 'rotate',
    member: first.member,
    reason: first.mismatched ? 'mismatched' : 'expiring',
  };
}
