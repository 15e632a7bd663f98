// Loaded synchronously at the start of <body> (replaces the NHS.UK template's
// inline snippet, which our Content-Security-Policy would block).
// 'js-enabled' lets CSS target JS-capable browsers; 'nhsuk-frontend-supported'
// is required by nhsuk-frontend's initAll() and marks ES module support.
document.body.className +=
  ' js-enabled' +
  ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '');
