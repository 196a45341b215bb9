#!/usr/bin/env bash
# Installs the Debian packages the product and its tests need, when they are missing.
#   libharfbuzz-subset0  WeasyPrint subsets fonts with HarfBuzz (about 45 ms a letter
#                        instead of 300 ms with the fontTools fallback)
#   fonts-dejavu-core    a fallback for characters the PDFs' own font (static/fonts) lacks
# With "test": chromium for the browser tests, dovecot-imapd for the IMAP tests.
set -euo pipefail

wanted=(libharfbuzz-subset0 fonts-dejavu-core)
if [ "${1:-}" = "test" ]; then
  wanted+=(chromium dovecot-imapd)
fi

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing system packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" \
  || { $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; }
