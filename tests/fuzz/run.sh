#!/bin/sh
# run.sh - build the libFuzzer harnesses of presenced and run each one.
#
#   tests/fuzz/run.sh [-b builddir] [-t seconds] [target...]
#
# Targets: xcap_uri xcap_node digest config (default: all, one after the
# other).  Needs clang with the libFuzzer runtime (Debian:
# libclang-rt-14-dev).  The project is configured out of tree in
# <builddir>/obj with clang and -fsanitize=fuzzer-no-link,address,undefined;
# the harnesses are linked with -fsanitize=fuzzer.  Each target runs for
# <seconds> (default 60; 0 = build only) on the working corpus <builddir>/corpus/<target>,
# seeded from the committed corpus tests/fuzz/corpus/<target> and from
# tests/fixtures.  Crashes, leaks and timeouts land in
# <builddir>/artifacts/<target>/; the script exits non-zero if any target
# found one.  Minimise a crasher and add it to tests/fuzz/corpus/<target>/
# so that make check (tests/unit/check_fuzz_corpus) replays it forever.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD:-/tmp/presenced-fuzz}
secs=60
while getopts b:t: opt; do
	case $opt in
	b) build=$OPTARG ;;
	t) secs=$OPTARG ;;
	*) echo "usage: $0 [-b builddir] [-t seconds] [target...]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
targets=${*:-xcap_uri xcap_node digest config}
CC=${CC:-clang}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

mkdir -p "$build"
build=$(cd "$build" && pwd)

# 1. The internal libraries, instrumented.  configure refuses a VPATH build
#    from a source tree configured in place: use a clean copy then.
objsrc=$src
if [ -f "$src/config.status" ]; then
	objsrc=$build/src
	rm -rf "$objsrc"
	git -C "$src" ls-files -z | (cd "$src" && xargs -0 tar cf -) |
		(mkdir -p "$objsrc" && cd "$objsrc" && tar xf -)
	# uncommitted harness work is picked up too
	cp -R "$src/tests/fuzz/." "$objsrc/tests/fuzz/"
fi
if [ ! -x "$objsrc/configure" ]; then
	(cd "$objsrc" && autoreconf -fi)
fi
mkdir -p "$build/obj"
if [ ! -f "$build/obj/Makefile" ]; then
	(cd "$build/obj" && CC=$CC \
	 CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $SAN" \
	 LDFLAGS="$SAN" "$objsrc/configure" --disable-werror >configure.log)
fi
libs="xcap/libpdxcapsrv.a xcap/libpdxcap.a auth/libpdauth.a db/libpddb.a src/libpdcore.a"
make -s -C "$build/obj" $libs
ext=$(pkg-config --cflags --libs sofia-sip-ua libmicrohttpd gnutls libxml-2.0 sqlite3)

# 2. The harnesses.
for t in $targets; do
	# shellcheck disable=SC2086
	$CC -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer $SAN \
		-I"$src" -I"$build/obj" -DPD_SRCDIR="\"$src\"" \
		"$src/tests/fuzz/fuzz_$t.c" "$src/tests/fuzz/targets.c" \
		$(for l in $libs; do printf '%s ' "$build/obj/$l"; done) \
		$ext -pthread -o "$build/fuzz_$t"
done

[ "$secs" -gt 0 ] || exit 0   # -t 0: build only

# 3. Seed and run.
seed() {
	mkdir -p "$build/corpus/$1"
	if [ -d "$src/tests/fuzz/corpus/$1" ]; then
		cp "$src/tests/fuzz/corpus/$1"/* "$build/corpus/$1/" 2>/dev/null || :
	fi
	case $1 in
	digest) cp "$src/tests/fixtures/digest"/* "$build/corpus/$1/" ;;
	config) cp "$src/etc"/*.conf* "$build/corpus/$1/" 2>/dev/null || : ;;
	xcap_node)
		# a whole-document PUT of each fixture, byte 0 = 8 + its index
		# in targets.c (format: targets.h)
		i=0
		for f in resource-lists pres-rules rls-services pidf ns-doc \
			 prefixed-lists; do
			{ printf "\\$(printf %o $((8 + i)))\n"
			  cat "$src/tests/fixtures/xcap/$f.xml"; } \
				>"$build/corpus/$1/fixture-$f"
			i=$((i + 1))
		done ;;
	esac
}
status=0
for t in $targets; do
	seed "$t"
	mkdir -p "$build/artifacts/$t"
	echo "== fuzz_$t: ${secs}s"
	top_srcdir=$src "$build/fuzz_$t" -max_total_time="$secs" -timeout=10 \
		-max_len=8192 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$t/" \
		"$build/corpus/$t" >"$build/fuzz_$t.log" 2>&1 || status=1
	tail -n 12 "$build/fuzz_$t.log"
	ls "$build/artifacts/$t" | sed 's/^/   artifact: /'
done
exit $status
