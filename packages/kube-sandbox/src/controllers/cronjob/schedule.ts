// Cron arithmetic for CronJobs, in the CronJob's time zone (IANA), via cron-parser.
import { CronExpressionParser } from 'cron-parser';

export interface ScheduleTimes {
  /** The most recent schedule time in (earliest, now], if any. */
  due?: number;
  /** The first schedule time after now. */
  next?: number;
}

/** Throws on invalid schedules or time zones (cron-parser's message). */
export function scheduleTimes(
  schedule: string,
  timeZone: string | undefined,
  earliest: number,
  now: number,
): ScheduleTimes {
  const tz = timeZone ?? 'UTC';
  const fields = schedule.trim().split(/\s+/);
  if (!schedule.trim().startsWith('@') && fields.length !== 5) {
    throw new Error(
      `invalid schedule "${schedule}": expected exactly 5 fields, found ${fields.length}`,
    );
  }
  if (/^(CRON_)?TZ=/.test(schedule.trim()))
    throw new Error('TZ in the schedule is not supported; use spec.timeZone');
  validTimeZone(tz);
  // Just after now, so a schedule time equal to now counts as due.
  const back = CronExpressionParser.parse(schedule, { currentDate: new Date(now + 1), tz });
  const prev = back.prev().getTime();
  const fwd = CronExpressionParser.parse(schedule, { currentDate: new Date(now), tz });
  const next = fwd.next().getTime();
  return { ...(prev > earliest ? { due: prev } : {}), next };
}

export function validTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new Error(`unknown time zone ${tz}`);
  }
}

/** Job names carry the scheduled time in minutes since the epoch, as the real controller's. */
export function jobNameFor(cronJobName: string, scheduled: number): string {
  return `${cronJobName}-${Math.floor(scheduled / 60000)}`;
}
