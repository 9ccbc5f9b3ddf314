#!/usr/bin/env bash
# The browser tests need Debian's Chromium and a Chinese font (without it pages render boxes): installs both when
# missing. Needs root (or sudo) and Debian's package mirror.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-browser: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "${missing[@]}" >/dev/null; }
fi
/usr/bin/chromium --version >/dev/null 2>&1 || { echo "ensure-browser: /usr/bin/chromium does not start" >&2; exit 1; }
