/*
 * The shortlist page: show the Print button (it needs JavaScript) and hide the
 * "use your browser's Print command" hint that is there for when JavaScript is off.
 *
 *   <button type="button" data-print-button hidden>Print</button>
 *   <p data-print-hint>To print, use your browser's Print command.</p>
 */
(function () {
  'use strict';

  function init() {
    if (typeof window.print !== 'function') {
      return;
    }
    var buttons = document.querySelectorAll('[data-print-button]');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener('click', function () {
        window.print();
      });
    }
    if (buttons.length) {
      var hints = document.querySelectorAll('[data-print-hint]');
      for (var j = 0; j < hints.length; j++) {
        hints[j].hidden = true;
      }
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
