/**
 * The UI's words in English and 简体中文 (SPEC §5): picked from the browser's languages, switchable,
 * remembered. `t()` reads the current locale from a rune, so every template that calls it follows
 * a switch without a reload.
 */
import { common } from './messages/common.js';
import { lobby } from './messages/lobby.js';
import { rooms } from './messages/rooms.js';
import { errors } from './messages/errors.js';
import { breakout } from './messages/breakout.js';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
/** Each locale's name in its own language, for the switcher. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', 'zh-CN': '简体中文' };

const areas = [common, lobby, rooms, errors, breakout] as const;
/** Distributes over the union of areas: every key of every area's English catalog. */
type KeysOf<A> = A extends { en: infer E } ? Extract<keyof E, string> : never;
export type MessageKey = KeysOf<(typeof areas)[number]>;

const catalogs = Object.fromEntries(LOCALES.map((locale) => [locale, Object.assign({}, ...areas.map((area) => area[locale]))])) as Record<Locale, Record<MessageKey, string>>;

const STORAGE_KEY = 'mesh-rooms.locale';

/** The first of the browser's preferred languages we speak; any Chinese variant gets 简体中文. */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

function initialLocale(): Locale {
  if (typeof window === 'undefined') return 'en';
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && (LOCALES as readonly string[]).includes(saved)) return saved as Locale;
  return pickLocale(navigator.languages ?? [navigator.language]);
}

class I18n {
  locale = $state<Locale>(initialLocale());

  set(locale: Locale): void {
    this.locale = locale;
    localStorage.setItem(STORAGE_KEY, locale);
    document.documentElement.lang = locale;
  }
}

export const i18n = new I18n();

/** The text for `key` in the current locale, with `{name}` placeholders filled from `params`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = catalogs[i18n.locale][key] ?? catalogs.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** A counted phrase: `${key}.one` for exactly one in English, `${key}.other` otherwise; `{count}` is filled. */
export function tn(key: string, count: number, params: Record<string, string | number> = {}): string {
  const form = i18n.locale === 'en' && count === 1 ? 'one' : 'other';
  return t(`${key}.${form}` as MessageKey, { count, ...params });
}

/** A time of day in the current locale, e.g. for chat timestamps. */
export function formatTime(epochMs: number): string {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway value, formatted at once
  return new Date(epochMs).toLocaleTimeString(i18n.locale, { hour: '2-digit', minute: '2-digit' });
}
