/*
 * Progressive enhancement: turn
 *   <input id="q" name="q" data-autocomplete-url="/api/v1/suggest" ...>
 * into an accessible-autocomplete combobox that keeps the same id and name, so
 * the surrounding <label for="q"> and the form submission work unchanged.
 * Without JavaScript the plain input is used.
 *
 * The endpoint is called as  <url>?q=<typed text>  and must return JSON
 *   {"suggestions": [{"label": "...", "type": "activity|category|organisation", "value": "..."}]}
 *
 * Optional attributes on the input:
 *   data-autocomplete-min-length="2"     characters before suggestions are fetched
 *   data-autocomplete-fill="label"       what goes in the box on selection: "label" or "value"
 *   data-autocomplete-submit             submit the form when a suggestion is chosen
 * A bubbling "app:autocomplete-confirm" CustomEvent (detail = the suggestion)
 * is dispatched on the wrapper element when a suggestion is chosen.
 *
 * Requires static/vendor/accessible-autocomplete/accessible-autocomplete.min.js
 * (window.accessibleAutocomplete) and its CSS.
 */
(function () {
  'use strict';

  if (typeof window.accessibleAutocomplete !== 'function' || !window.fetch) {
    return;
  }

  var TYPE_LABELS = { activity: 'Activity', category: 'Category', organisation: 'Organisation' };

  function escapeHtml(text) {
    return String(text == null ? '' : text)
      .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }

  function makeSource(url) {
    var latest = 0;
    var timer = null;
    var cache = {};
    return function (query, populateResults) {
      var q = (query || '').trim();
      var ticket = ++latest;
      if (timer) {
        clearTimeout(timer);
      }
      if (cache.hasOwnProperty(q)) {
        populateResults(cache[q]);
        return;
      }
      timer = setTimeout(function () {
        var sep = url.indexOf('?') === -1 ? '?' : '&';
        fetch(url + sep + 'q=' + encodeURIComponent(q), {
          headers: { Accept: 'application/json' },
          credentials: 'same-origin'
        })
          .then(function (response) {
            return response.ok ? response.json() : { suggestions: [] };
          })
          .catch(function () {
            return { suggestions: [] };
          })
          .then(function (data) {
            var list = (data && Array.isArray(data.suggestions) ? data.suggestions : [])
              .filter(function (s) { return s && s.label; });
            cache[q] = list;
            if (ticket === latest) {
              populateResults(list);
            }
          });
      }, 150);
    };
  }

  function enhance(input) {
    if (input.getAttribute('data-autocomplete-initialised')) {
      return;
    }
    var url = input.getAttribute('data-autocomplete-url');
    var id = input.id;
    var name = input.name;
    if (!url || !id || !name) {
      return;
    }
    var fill = input.getAttribute('data-autocomplete-fill') === 'value' ? 'value' : 'label';
    var minLength = parseInt(input.getAttribute('data-autocomplete-min-length') || '2', 10);
    var describedBy = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    var submitOnConfirm = input.hasAttribute('data-autocomplete-submit');
    var form = input.form;

    var wrapper = document.createElement('div');
    wrapper.className = 'app-autocomplete';
    input.parentNode.insertBefore(wrapper, input);
    input.parentNode.removeChild(input);

    window.accessibleAutocomplete({
      element: wrapper,
      id: id,
      name: name,
      defaultValue: input.value,
      minLength: isNaN(minLength) ? 2 : minLength,
      required: input.required,
      autoselect: false,
      confirmOnBlur: false,
      showNoOptionsFound: false,
      displayMenu: 'overlay',
      inputClasses: input.className || 'nhsuk-input',
      source: makeSource(url),
      templates: {
        inputValue: function (s) {
          if (!s) { return ''; }
          if (typeof s === 'string') { return s; }
          return (fill === 'value' && s.value) ? s.value : s.label;
        },
        suggestion: function (s) {
          if (!s) { return ''; }
          if (typeof s === 'string') { return escapeHtml(s); }
          var type = TYPE_LABELS[s.type] || '';
          return escapeHtml(s.label) +
            (type ? ' <span class="app-autocomplete__type">' + escapeHtml(type) + '</span>' : '');
        }
      },
      onConfirm: function (s) {
        if (!s) { return; }
        var event;
        try {
          event = new CustomEvent('app:autocomplete-confirm', { bubbles: true, detail: s });
        } catch (e) {
          event = null;
        }
        if (event) { wrapper.dispatchEvent(event); }
        if (submitOnConfirm && form) {
          // Let the component write the chosen value into the input first.
          setTimeout(function () {
            if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
          }, 0);
        }
      }
    });

    var newInput = document.getElementById(id);
    if (!newInput) {
      return;
    }
    newInput.setAttribute('data-autocomplete-initialised', 'true');

    // Keep the field's hint / error message ids in aria-describedby: the
    // component rewrites that attribute with its own assistive hint id.
    if (describedBy.length) {
      var merge = function () {
        var current = (newInput.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
        var missing = describedBy.filter(function (d) { return current.indexOf(d) === -1; });
        if (missing.length) {
          newInput.setAttribute('aria-describedby', missing.concat(current).join(' '));
        }
      };
      merge();
      if (window.MutationObserver) {
        new MutationObserver(merge).observe(newInput, { attributes: true, attributeFilter: ['aria-describedby'] });
      }
    }
  }

  function init() {
    var inputs = document.querySelectorAll('input[data-autocomplete-url]');
    for (var i = 0; i < inputs.length; i++) {
      enhance(inputs[i]);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
