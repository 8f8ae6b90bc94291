#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The dkms-sandbox system user and its subordinate ids: the build uids of
# the sandboxes root starts (one per running build, none a host user's).
# Idempotent; root only. Used by `make install` and `make deps`.
set -eu
user=dkms-sandbox
if ! getent passwd "$user" >/dev/null; then
	echo "creating system user $user with subordinate ids"
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --add-subids-for-system "$user"
fi
if ! grep -q "^$user:" /etc/subuid 2>/dev/null || ! grep -q "^$user:" /etc/subgid 2>/dev/null; then
	# A free range past every one in use (useradd picks one the same way).
	last=$(cat /etc/subuid /etc/subgid 2>/dev/null |
		awk -F: 'BEGIN { m = 100000 } $2 + $3 > m { m = $2 + $3 } END { print m }')
	echo "adding subordinate ids $last-$((last + 65535)) to $user"
	usermod --add-subuids "$last-$((last + 65535))" --add-subgids "$last-$((last + 65535))" "$user"
fi
