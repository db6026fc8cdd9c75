#!/usr/bin/env bash
# System packages tracecheck needs beyond PyPI: libmagic (python-magic) and Chromium (HTML report
# test). Installs only what is missing; never fails the build when apt is unavailable (the
# browser test then skips with a message saying so).
set -u
need=()
[ -e /usr/lib/x86_64-linux-gnu/libmagic.so.1 ] || [ -e /usr/lib/aarch64-linux-gnu/libmagic.so.1 ] || ldconfig -p 2>/dev/null | grep -q libmagic.so.1 || need+=(libmagic1)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup-system: installing ${need[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") >/tmp/tracecheck-apt.log 2>&1 \
      || echo "setup-system: apt-get failed (see /tmp/tracecheck-apt.log); browser tests will skip"
  else
    echo "setup-system: cannot install ${need[*]} (no apt-get or not root)"
  fi
fi
exit 0
