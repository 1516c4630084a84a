// Added to every test page before its own scripts (tests/support/browser.py, open_page): the one
// place in-page programs turn the base64 strings Python sends them into bytes.
globalThis.fromBase64 = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
