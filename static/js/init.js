// Initialise NHS.UK frontend components (nhsuk-frontend 10.x ships as an ES
// module that exports initAll; nothing is initialised automatically).
// Loaded from base.html as <script type="module">.
import { initAll } from '../vendor/nhsuk-frontend/nhsuk-frontend.min.js';

initAll();

// initAll() focuses an error summary with data-module="nhsuk-error-summary".
// Make sure any error summary gets focus, even one without the data-module.
const summary = document.querySelector('.nhsuk-error-summary[data-module="nhsuk-error-summary"], .nhsuk-error-summary[data-app-focus]');
if (summary && document.activeElement !== summary && !summary.contains(document.activeElement)) {
  if (!summary.hasAttribute('tabindex')) {
    summary.setAttribute('tabindex', '-1');
  }
  summary.focus();
}
