#!/usr/bin/env bash
# Build/vendor the front-end assets used by spdirectory.
#
# Installs the pinned npm packages (frontend/package-lock.json) and copies only
# the distributable files the app needs into static/vendor/<package>/, plus
# each package's licence. Idempotent: static/vendor is rebuilt from scratch on
# every run. node_modules stays in frontend/ and is never committed.
#
# Usage: bash frontend/build.sh        (from anywhere)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
NM="$HERE/node_modules"
VENDOR="$ROOT/static/vendor"

cd "$HERE"
if [[ -f package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

version() { node -p "require('$NM/$1/package.json').version"; }

# Copy a file, dropping any trailing "//# sourceMappingURL=" / "/*# sourceMappingURL */"
# comment (we do not ship source maps, so browsers would 404 on them).
copy_strip_map() {
  local src="$1" dest="$2"
  sed -E -e 's#//\# sourceMappingURL=[^[:space:]]*[[:space:]]*$##' -e 's#/\*\# sourceMappingURL=[^*]*\*/##g' "$src" > "$dest"
}

rm -rf "$VENDOR"
mkdir -p "$VENDOR"

# --- nhsuk-frontend -------------------------------------------------------
NHS_SRC="$NM/nhsuk-frontend/dist/nhsuk"
NHS_DEST="$VENDOR/nhsuk-frontend"
mkdir -p "$NHS_DEST/images"
# The published CSS points at /assets/images/... (absolute) and loads the
# Frutiger web font from the assets.nhs.uk CDN. We serve everything ourselves:
#   * rewrite icon URLs to be relative to the CSS file (images/...)
#   * drop the @font-face rules: the font stack falls back to Arial.
node - "$NHS_SRC/nhsuk-frontend.min.css" "$NHS_DEST/nhsuk-frontend.min.css" <<'EOF'
const fs = require('fs');
const [src, dest] = process.argv.slice(2);
let css = fs.readFileSync(src, 'utf8');
css = css.replace(/url\((["']?)\/assets\/images\//g, 'url($1images/');
css = css.replace(/@font-face\s*\{[^}]*\}/g, '');
css = css.replace(/\/\*# sourceMappingURL=[^*]*\*\//g, '');
if (/https?:\/\//.test(css.replace(/http:\/\/www\.w3\.org\/2000\/svg/g, ''))) {
  console.error('nhsuk-frontend CSS still references a remote URL');
  process.exit(1);
}
fs.writeFileSync(dest, css);
EOF
copy_strip_map "$NHS_SRC/nhsuk-frontend.min.js" "$NHS_DEST/nhsuk-frontend.min.js"
cp "$NHS_SRC"/assets/images/*.svg "$NHS_SRC"/assets/images/*.png "$NHS_SRC"/assets/images/favicon.ico "$NHS_DEST/images/"
# Check every image the CSS refers to was copied.
for img in $(grep -o 'url(images/[^)]*)' "$NHS_DEST/nhsuk-frontend.min.css" | sed -E 's/url\(images\/(.*)\)/\1/' | sort -u); do
  [[ -f "$NHS_DEST/images/$img" ]] || { echo "missing nhsuk image $img" >&2; exit 1; }
done
if ls "$NM/nhsuk-frontend"/LICEN[CS]E* >/dev/null 2>&1; then
  cp "$NM/nhsuk-frontend"/LICEN[CS]E* "$NHS_DEST/"
else
  # The npm package ships no licence file; package.json declares MIT.
  cat > "$NHS_DEST/LICENSE" <<'EOF'
nhsuk-frontend (https://github.com/nhsuk/nhsuk-frontend)
Licence: MIT (as declared in the package's package.json and README).
The codebase is released under the MIT Licence. Copyright (c) NHS England / NHS.UK.

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
EOF
fi

# --- accessible-autocomplete ---------------------------------------------
AA_DEST="$VENDOR/accessible-autocomplete"
mkdir -p "$AA_DEST"
copy_strip_map "$NM/accessible-autocomplete/dist/accessible-autocomplete.min.js" "$AA_DEST/accessible-autocomplete.min.js"
copy_strip_map "$NM/accessible-autocomplete/dist/accessible-autocomplete.min.css" "$AA_DEST/accessible-autocomplete.min.css"
cp "$NM/accessible-autocomplete"/LICEN[CS]E* "$AA_DEST/"

# --- leaflet ---------------------------------------------------------------
LF_DEST="$VENDOR/leaflet"
mkdir -p "$LF_DEST/images"
copy_strip_map "$NM/leaflet/dist/leaflet.js" "$LF_DEST/leaflet.js"
cp "$NM/leaflet/dist/leaflet.css" "$LF_DEST/leaflet.css"
cp "$NM/leaflet/dist/images/"*.png "$LF_DEST/images/"
cp "$NM/leaflet"/LICEN[CS]E* "$LF_DEST/"

# --- chart.js ----------------------------------------------------------------
CJ_DEST="$VENDOR/chart.js"
mkdir -p "$CJ_DEST"
copy_strip_map "$NM/chart.js/dist/chart.umd.min.js" "$CJ_DEST/chart.umd.min.js"
cp "$NM/chart.js"/LICEN[CS]E* "$CJ_DEST/"
# chart.umd bundles its dependency @kurkle/color (MIT).
if ls "$NM/@kurkle/color"/LICEN[CS]E* >/dev/null 2>&1; then
  for f in "$NM/@kurkle/color"/LICEN[CS]E*; do cp "$f" "$CJ_DEST/kurkle-color-$(basename "$f")"; done
fi

# --- axe-core (browser accessibility tests only) ----------------------------
AX_DEST="$VENDOR/axe-core"
mkdir -p "$AX_DEST"
cp "$NM/axe-core/axe.min.js" "$AX_DEST/axe.min.js"
cp "$NM/axe-core"/LICEN[CS]E* "$AX_DEST/"

# --- record versions -----------------------------------------------------------
{
  echo "# Generated by frontend/build.sh - do not edit."
  for p in nhsuk-frontend accessible-autocomplete leaflet chart.js axe-core; do
    echo "$p $(version "$p")"
  done
} > "$VENDOR/VERSIONS.txt"

echo "Vendored assets into $VENDOR ($(du -sh "$VENDOR" | cut -f1))"
