#!/usr/bin/env bash
# Debian packages the test suite uses as real components: a SoftHSM2 token (PKCS#11), Chromium (browser
# tests) and promtool (from Debian's prometheus package: checks and unit-tests deploy/prometheus/alerts.yml). Installs what is missing when it can (root with apt-get); otherwise says what to install.
set -u
missing=""
command -v softhsm2-util >/dev/null 2>&1 || missing="$missing softhsm2"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
command -v gpg >/dev/null 2>&1 || missing="$missing gnupg"  # encrypted backups and WAL archive (apps/continuity)
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing from Debian:$missing"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
  echo "warning: please install$missing (Debian packages); the HSM tests fail and the browser tests skip without them" >&2
fi
