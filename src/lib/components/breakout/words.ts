/**
 * Words the breakout panels share: group names, the countdown, and problems in words.
 */
import { t, type MessageKey } from '$lib/i18n/index.svelte';
import { BreakoutErrorCode } from '$lib/classroom';
import type { BreakoutProblem } from '$lib/state/classroom.svelte';

export function groupName(index: number): string {
  return t('breakout.groupName', { n: index + 1 });
}

/** `m:ss`, or `h:mm:ss` from an hour up. */
export function formatRemaining(ms: number): string {
  const total = Math.ceil(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** A breakout code in its own words; a room client code (ROOM_LIMIT_EXCEEDED…) in the app's. */
export function problemText(problem: BreakoutProblem): string {
  if (problem.code in BreakoutErrorCode) return t(`breakout.error.${problem.code}` as MessageKey);
  const key = `error.${problem.code}` as MessageKey;
  const text = t(key, { roomId: problem.roomId ?? '' });
  // t() answers with the key itself when no catalog has it.
  return text === key ? t('breakout.error.unexpected', { detail: problem.detail }) : text;
}
