import type { Check, Verdict } from '@edge/collector-kit/survey';

/** The verdict of a system from its checks: one failure → not ready; one warning → ready with warnings. */
export function verdictOf(checks: readonly Check[]): { verdict: Verdict; fixes: string[] } {
  const fixes = checks.filter((c) => (c.level === 'fail' || c.level === 'warn') && c.fix).map((c) => c.fix as string);
  if (checks.some((c) => c.level === 'fail')) return { verdict: 'not_ready', fixes };
  if (checks.some((c) => c.level === 'warn')) return { verdict: 'ready_with_warnings', fixes };
  return { verdict: 'ready', fixes };
}
