/*
 * Progressive enhancement: render Leaflet maps into [data-map] elements.
 *
 *   <div class="app-map" data-map
 *        data-lat="51.5" data-lon="-0.12" data-label="Community garden"
 *        data-markers='[{"lat": 51.5, "lon": -0.1, "label": "Name", "url": "/a/1"}]'>
 *     <p>Address and coordinates as text (shown when JS is unavailable).</p>
 *   </div>
 *
 * Requires static/vendor/leaflet/leaflet.js (window.L) and leaflet.css to be
 * loaded first. Tiles come from tile.openstreetmap.org in the user's browser,
 * so the Content-Security-Policy needs img-src https://tile.openstreetmap.org
 * (and the a/b/c subdomains).
 */
(function () {
  'use strict';

  if (typeof window.L === 'undefined') {
    return;
  }
  var L = window.L;

  // Marker images are served from our own static files: by default
  // <static>/vendor/leaflet/images/, worked out from this script's own URL
  // (<static>/js/map.js); a data-leaflet-images attribute on the <script>
  // overrides it.
  var script = document.currentScript;
  var imagePath = script && script.getAttribute('data-leaflet-images');
  if (!imagePath && script && script.src) {
    imagePath = script.src.replace(/js\/map\.js(\?.*)?$/, 'vendor/leaflet/images/');
  }
  L.Icon.Default.imagePath = (imagePath || '/static/vendor/leaflet/images/').replace(/\/?$/, '/');

  function num(value) {
    var n = parseFloat(value);
    return isFinite(n) ? n : null;
  }

  function parseMarkers(el) {
    var markers = [];
    var raw = el.getAttribute('data-markers');
    if (raw) {
      try {
        var list = JSON.parse(raw);
        if (Array.isArray(list)) {
          list.forEach(function (m) {
            var lat = num(m && m.lat);
            var lon = num(m && m.lon);
            if (lat !== null && lon !== null) {
              markers.push({ lat: lat, lon: lon, label: m.label || '', url: m.url || '' });
            }
          });
        }
      } catch (e) {
        // Ignore malformed JSON: the text alternative is still on the page.
      }
    }
    var lat = num(el.getAttribute('data-lat'));
    var lon = num(el.getAttribute('data-lon'));
    if (lat !== null && lon !== null) {
      markers.unshift({ lat: lat, lon: lon, label: el.getAttribute('data-label') || '', url: '' });
    }
    return markers;
  }

  function popupContent(m) {
    // Built with DOM nodes so labels are never interpreted as HTML.
    var node;
    if (m.url) {
      node = document.createElement('a');
      node.href = m.url;
      node.className = 'nhsuk-link';
    } else {
      node = document.createElement('span');
    }
    node.textContent = m.label;
    return node;
  }

  function render(el) {
    if (el.getAttribute('data-map-initialised')) {
      return;
    }
    var markers = parseMarkers(el);
    if (!markers.length) {
      return;
    }
    el.setAttribute('data-map-initialised', 'true');

    // Keep the text fallback available to assistive technology but visually
    // replace it with the map.
    var fallback = document.createElement('div');
    fallback.className = 'nhsuk-u-visually-hidden';
    while (el.firstChild) {
      fallback.appendChild(el.firstChild);
    }
    var canvas = document.createElement('div');
    canvas.className = 'app-map__canvas';
    canvas.setAttribute('role', 'region');
    canvas.setAttribute('aria-label', el.getAttribute('data-map-title') ||
      (markers.length === 1 && markers[0].label ? 'Map showing ' + markers[0].label : 'Map'));
    el.appendChild(canvas);
    el.appendChild(fallback);
    el.classList.add('app-map--enhanced');

    var map = L.map(canvas, { scrollWheelZoom: false });
    L.tileLayer('https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png', {
      maxZoom: 19,
      attribution: 'Map data &copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    }).addTo(map);

    var points = [];
    markers.forEach(function (m) {
      var marker = L.marker([m.lat, m.lon], { title: m.label, alt: m.label || 'Map marker' }).addTo(map);
      if (m.label) {
        marker.bindPopup(popupContent(m));
      }
      points.push([m.lat, m.lon]);
    });

    var zoom = num(el.getAttribute('data-zoom'));
    if (points.length === 1) {
      map.setView(points[0], zoom !== null ? zoom : 15);
    } else {
      map.fitBounds(points, { padding: [24, 24], maxZoom: zoom !== null ? zoom : 16 });
    }
  }

  function init() {
    var maps = document.querySelectorAll('[data-map]');
    for (var i = 0; i < maps.length; i++) {
      render(maps[i]);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
