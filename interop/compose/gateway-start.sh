#!/bin/sh
# bfdd, then bgpd (programming the container's kernel), sharing one run dir for rlsh.
set -e
mkdir -p /run/ridgeline
bfdd -f /etc/ridgeline/ridgeline.conf --run-dir /run/ridgeline &
exec bgpd -f /etc/ridgeline/ridgeline.conf --run-dir /run/ridgeline
