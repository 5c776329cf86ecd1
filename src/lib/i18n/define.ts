/**
 * Message catalogs are split by screen area (messages/*.ts) so that each area's words live next
 * to each other; `defineMessages` makes the type checker refuse a Chinese catalog that lacks a
 * key the English one has, so no text can be left untranslated.
 *
 * Placeholders are `{name}`; a key ending in `.one` / `.other` is a plural pair (see `tn`).
 */
export type Catalog = Record<string, string>;

export interface AreaMessages<K extends string> {
  en: Record<K, string>;
  'zh-CN': Record<K, string>;
}

export function defineMessages<const E extends Catalog>(en: E, zhCN: Record<keyof E, string>): AreaMessages<Extract<keyof E, string>> {
  return { en, 'zh-CN': zhCN } as AreaMessages<Extract<keyof E, string>>;
}
