#!/usr/bin/env bash
# Provide Debian's nginx for the reverse-proxy test and print its path (see
# provision-debian-program.sh). The package's own service is not started here: the test starts
# its own nginx on loopback.
exec bash "$(dirname "${BASH_SOURCE[0]}")/provision-debian-program.sh" \
    nginx NGINX_PATH /usr/sbin/nginx -v "The reverse-proxy test"
