#!/usr/bin/env bash
# Provide Debian's Chromium for the browser tests and print its path (see
# provision-debian-program.sh). Never downloads a browser of its own (no `playwright install`).
exec bash "$(dirname "${BASH_SOURCE[0]}")/provision-debian-program.sh" \
    chromium CHROMIUM_PATH /usr/bin/chromium --version "Browser tests"
