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
  /** The user asked for a rotation (annotation) after this certificate was issued. */
  requested?: boolean;
  /**
   * Whether the member serves the certificate its Secret holds: 'stale' right after a renewal,
   * until the kubelet has updated the mounted files and etcd's next handshake reads them.
   */
  serving?: 'current' | 'stale' | 'unknown';
  healthy: boolean;
  isLeader: boolean;
}

export type RotationReason = 'missing' | 'expiring' | 'mismatched' | 'requested';

export type RotationDecision =
  | { type: 'none'; nextCheck?: Date }
  | { type: 'rotate'; member: string; reason: RotationReason }
  | { type: 'wait'; reason: string };

/**
 * One member at a time, and only while every member is healthy and the previous one already
 * serves its new certificate, so a bad certificate can never reach more than one member and
 * never costs quorum. Missing certificates first (they block a member from starting, so no
 * health gate), then mismatched, then by earliest expiry; the leader goes last among equals.
 */
export function nextCertificateRotation(
  members: MemberCertificateState[],
  now: Date,
  policy: RenewPolicy = DEFAULT_RENEW_POLICY,
): RotationDecision {
  const missing = members.find((m) => !m.validity);
  if (missing) return { type: 'rotate', member: missing.member, reason: 'missing' };
  const due = members
    .filter((m) => m.mismatched || m.requested || needsRenewal(m.validity!, now, policy))
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
  const pending = members.filter((m) => m.serving === 'stale').map((m) => m.member);
  if (pending.length > 0) {
    return {
      type: 'wait',
      reason: `waiting for ${pending.join(', ')} to serve its new certificate`,
    };
  }
  return {
    type: 'rotate',
    member: first.member,
    reason: first.mismatched
      ? 'mismatched'
      : needsRenewal(first.validity!, now, policy)
        ? 'expiring'
        : 'requested',
  };
}
