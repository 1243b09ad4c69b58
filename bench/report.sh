#!/usr/bin/env bash
# bench/report.sh DIR - Markdown tables from DIR/summary.tsv written by
# sip-bench.sh: per figure, presenced / Kamailio / ceiling, the ratios
# presenced/Kamailio and the issue #3 targets (>= 2x sustained rate and
# >= 3x per server CPU-second on a, b, c; <= 0.5x memory per subscription
# on d).  Prints to stdout.
set -u
dir=${1:?usage: report.sh DIR}
sum="$dir/summary.tsv"
[[ -r "$sum" ]] || { echo "no $sum" >&2; exit 1; }

sed 's/^/    /' "$dir/machine.txt" 2>/dev/null
echo
awk -F'\t' '
function f(x) { return (x == "" ? "-" : x) }
function ratio(p, k) { return (p != "" && k != "" && k + 0 > 0) ? sprintf("%.2f", p / k) : "-" }
function verdict(r, t) { return (r == "-") ? "pending" : ((r + 0 >= t) ? "PASS" : "FAIL") }
{
	fig = $1; t = $2
	key = fig SUBSEP t
	seen[key] = 1
	rate[key] = $3; cpu[key] = $4; per[key] = $5; ops[key] = $6
	c7[key] = $7; c8[key] = $8; note[key] = $9
}
END {
	split("a b c d", figs, " ")
	split("presenced kamailio ceiling", tg, " ")
	title["a"] = "(a) new SUBSCRIBE dialogs/s, first NOTIFY answered, 0 failures"
	title["b"] = "(b) initial PUBLISH/s to distinct presentities, 0 failures"
	title["c"] = "(c) NOTIFY/s delivered to 1,000 watchers of one presentity, burst of 50 PUBLISHes"
	title["d"] = "(d) memory per active subscription"
	for (i = 1; i <= 4; i++) {
		fg = figs[i]
		any = 0
		for (j = 1; j <= 3; j++) if ((fg SUBSEP tg[j]) in seen) any = 1
		if (!any) continue
		print "### " title[fg]
		print ""
		P = fg SUBSEP "presenced"; K = fg SUBSEP "kamailio"; C = fg SUBSEP "ceiling"
		if (fg == "a" || fg == "b") {
			print "| server | max sustained rate (/s) | first failing rate (/s) | ops in confirmation run | server CPU-s | ops per server CPU-s | notes |"
			print "|---|---:|---:|---:|---:|---:|---|"
			for (j = 1; j <= 3; j++) { k = fg SUBSEP tg[j]; if (k in seen)
				printf "| %s | %s | %s | %s | %s | %s | %s |\n", tg[j], f(rate[k]), (c7[k] == "0" ? "none up to the cap" : f(c7[k])), f(ops[k]), f(cpu[k]), f(per[k]), note[k] }
		} else if (fg == "c") {
			print "| server | NOTIFY/s delivered | server CPU-s | NOTIFY per server CPU-s | NOTIFYs delivered (50,000 states) | first PUBLISH to last NOTIFY (s) | watchers whose last NOTIFY has state 50 | notes |"
			print "|---|---:|---:|---:|---:|---:|---:|---|"
			for (j = 1; j <= 3; j++) { k = fg SUBSEP tg[j]; if (k in seen)
				printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", tg[j], f(rate[k]), f(cpu[k]), f(per[k]), f(ops[k]), f(c7[k]), f(c8[k]), note[k] }
		} else {
			print "| server | active subscriptions | PSS kB per subscription | RSS kB per subscription | PSS/RSS before (kB) | PSS/RSS after (kB) | server CPU-s | notes |"
			print "|---|---:|---:|---:|---|---|---:|---|"
			for (j = 1; j <= 3; j++) { k = fg SUBSEP tg[j]; if (k in seen)
				printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", tg[j], f(rate[k]), f(per[k]), f(ops[k]), f(c7[k]), f(c8[k]), f(cpu[k]), note[k] }
		}
		print ""
		if (fg == "d") {
			r = ratio(per[P], per[K])
			printf "presenced/Kamailio PSS per subscription: %s (target <= 0.50): %s\n\n", r,
				(r == "-") ? "pending" : ((r + 0 <= 0.5) ? "PASS" : "FAIL")
		} else {
			r1 = ratio(rate[P], rate[K]); r2 = ratio(per[P], per[K])
			printf "presenced/Kamailio: sustained rate %s (target >= 2): %s; per server CPU-s %s (target >= 3): %s", r1, verdict(r1, 2), r2, verdict(r2, 3)
			if (fg != "c") printf "; presenced/ceiling sustained rate %s, Kamailio/ceiling %s", ratio(rate[P], rate[C]), ratio(rate[K], rate[C])
			print "\n"
		}
	}
}' "$sum"
