# scripts/common.sh - shared by scripts/run and scripts/test: install the
# Debian 12 packages presenced needs (only the missing ones), then
# autoreconf, configure and make, each only when it is not already done.
# Sourced, not run.

set -euo pipefail

PD_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$PD_TOP"

PD_PACKAGES=(
	build-essential autoconf automake pkg-config make gcc
	libsofia-sip-ua-dev libxml2-dev libgnutls28-dev libsqlite3-dev
	libmicrohttpd-dev check
	sip-tester curl gnutls-bin openssl sqlite3 libxml2-utils procps iproute2
)

pd_say() { printf '==> %s\n' "$*" >&2; }

pd_sudo() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

pd_install_deps() {
	local missing=() p
	for p in "${PD_PACKAGES[@]}" "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	pd_say "installing Debian packages: ${missing[*]}"
	pd_sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	pd_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

pd_build() {
	if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ] \
	   || [ -n "$(find . -name local.mk -newer configure -print -quit)" ]; then
		pd_say "autoreconf"
		autoreconf -fi
	fi
	if [ ! -f Makefile ] || [ configure -nt config.status ]; then
		pd_say "configure ${PD_CONFIGURE_FLAGS:-}"
		# shellcheck disable=SC2086
		./configure ${PD_CONFIGURE_FLAGS:-}
	fi
	pd_say "make"
	make -j"$(nproc)" >/dev/null
}
