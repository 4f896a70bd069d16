// Types of translate.js for the TypeScript that imports it (the tests; report.html inlines the .js).
export type Lang = 'en' | 'zh';
export type Messages = Record<string, { en: string; zh: string }>;
export interface Translator { lang: Lang; t(key: string, params?: Record<string, string | number>): string; tx(text: string): string }
export function makeTranslator(messages: Messages, lang: Lang, names?: string[]): Translator;
export function translateTree(root: Element, tr: Translator): MutationObserver | undefined;
