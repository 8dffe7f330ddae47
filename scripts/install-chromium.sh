#!/usr/bin/env bash
# Debian's Chromium for the browser checks (the audit report page). Tests that need it
# report themselves skipped when it is missing, so this script is an install, not a gate.
set -euo pipefail
command -v chromium >/dev/null && exit 0
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 ||
  { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y --no-install-recommends chromium >/dev/null; }
chromium --version
