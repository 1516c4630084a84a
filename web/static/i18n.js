// The page's words: one table per language (lang-en.json, lang-zh-CN.json, the same keys),
// the language chosen from the browser's and remembered when the visitor switches, and numbers
// and dates formatted for it. A template's {name} takes a parameter; {n, plural, one {...}
// other {...}} picks a form by Intl.PluralRules, with # for the number.
import en from './lang-en.json' with { type: 'json' };
import zh from './lang-zh-CN.json' with { type: 'json' };

export const LANGUAGES = { en, 'zh-CN': zh };
const STORE_KEY = 'facepack.language';

let lang = 'en';

/** The remembered choice, else the first of the browser's languages we have, else English. */
export function chooseLanguage() {
  const stored = localStorage.getItem(STORE_KEY);
  if (stored in LANGUAGES) return stored;
  for (const wanted of navigator.languages || [navigator.language]) {
    if (/^zh\b/i.test(wanted)) return 'zh-CN';
    if (/^en\b/i.test(wanted)) return 'en';
  }
  return 'en';
}

export function setLanguage(code, remember = false) {
  lang = code in LANGUAGES ? code : 'en';
  if (remember) localStorage.setItem(STORE_KEY, lang);
  document.documentElement.lang = lang;
  return lang;
}

export const language = () => lang;

/** A number for this language: `digits` decimals (default: up to 1). */
export function num(value, digits) {
  const options = digits === undefined ? { maximumFractionDigits: 1 } : { minimumFractionDigits: digits, maximumFractionDigits: digits };
  return new Intl.NumberFormat(lang, options).format(value);
}

/** A fraction 0..1 as a percentage for this language. */
export const percent = (fraction, digits = 0) =>
  new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: digits }).format(fraction);

export const date = (value) => new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(value));

function plural(template, params) {
  return template.replace(/\{(\w+), plural, ((?:\w+ \{[^}]*\}\s*)+)\}/g, (_, name, forms) => {
    const n = params[name];
    const options = Object.fromEntries([...forms.matchAll(/(\w+) \{([^}]*)\}/g)].map((m) => [m[1], m[2]]));
    const form = options[new Intl.PluralRules(lang).select(n)] ?? options.other;
    return form.replace(/#/g, num(n));
  });
}

/** The text of `key` in the current language with its {parameters} filled in. */
export function t(key, params = {}) {
  const template = LANGUAGES[lang][key] ?? LANGUAGES.en[key];
  if (template === undefined) throw new Error(`no text for ${key}`);
  return plural(template, params).replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** An error as the visitor's language says it: the package's errors carry a code and parameters. */
export function errorText(err) {
  const key = err && err.code ? `error.${err.code}` : null;
  if (key && key in LANGUAGES.en) return t(key, err.params || {});
  return t('error.unexpected', { detail: err && err.message ? err.message : String(err) });
}

/** Every element with data-i18n="key" gets that text (data-i18n-attr="aria-label" puts it there). */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const text = t(el.dataset.i18n);
    if (el.dataset.i18nAttr) el.setAttribute(el.dataset.i18nAttr, text);
    else el.textContent = text;
  }
  document.title = t('page.title');
}

/** "No faces" or "n faces", as the results, the status line and the live view word a count. */
export const facesText = (n) => (n === 0 ? t('faces.none') : t('faces.count', { count: n }));

/** An emotion's name from its label in the manifest (emotion.labels). */
export const emotionName = (label) => t(`emotion.${label}`);
