#!/usr/bin/env python3
"""Turns the JSON lines bench/run.sh collected into the Markdown report.

    report.py RESULTS.jsonl OUT.md

Prints the report and writes it to OUT.md. Exits 1 when the run is invalid:
a response that was not 2xx (or a socket error, a failed sign-in, a pool
that ran out) in any run of either provider.
"""
import json
import sys
from collections import defaultdict

WORKLOADS = [
    ("userinfo", "GET /userinfo (Bearer)"),
    ("introspect", "POST /introspect (resource server, Basic)"),
    ("client_credentials", "POST /token client_credentials"),
    ("refresh_token", "POST /token refresh_token"),
    ("authorization_code", "POST /token authorization_code"),
    ("discovery", "GET discovery"),
    ("jwks", "GET JWKS"),
    ("signin", "sign-ins (login, consent, code, userinfo)"),
]
CEILING_NAMES = {
    "pgbench_select": "pgbench -S",
    "pgbench_insert": "one-row INSERT",
    "rsa2048_sign": "RSA-2048 sign",
    "cc_sql": "its own SQL alone",
}
BOUNDS = {
    "userinfo": ["pgbench_select"],
    "introspect": ["pgbench_select"],
    "client_credentials": ["pgbench_insert", "cc_sql"],
    "refresh_token": ["pgbench_insert", "rsa2048_sign"],
    "authorization_code": ["pgbench_insert", "rsa2048_sign"],
    "discovery": [],
    "jwks": [],
    "signin": [],
}
P99_LIMIT_MS = 20
# A published figure to read /introspect against (not measured here, and not
# on this machine or with PostgreSQL behind it).
INTROSPECT_REFERENCE = ("Ory Hydra publishes about 5,100 introspections/s on 2 CPUs with an in-memory store "
                        "(a published figure, not measured here)")
RSS_LIMIT_MB = 100


def number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def main() -> int:
    results_path, out_path = sys.argv[1], sys.argv[2]
    meta, ceilings, loads, notes, server_errors, problems_seen = {}, {}, {}, [], [], []
    statements, transactions, rss, hwm = {}, {}, {}, {}
    for line in open(results_path):
        if not line.strip():
            continue
        item = json.loads(line)
        kind = item["type"]
        if kind == "meta":
            meta = item
        elif kind == "ceiling":
            try:
                ceilings[item["name"]] = (float(item["rate"]), item["detail"])
            except (TypeError, ValueError):
                notes.append(f"ceiling {item['name']} could not be measured")
        elif kind == "load":
            loads[(item["provider"], item["workload"], item["phase"])] = item["result"]
        elif kind == "statements":
            statements[(item["provider"], item["workload"])] = (item["statements"], item["requests"])
            if item.get("hwm_kb"):
                hwm[(item["provider"], item["workload"])] = item["hwm_kb"]
        elif kind == "transactions":
            transactions[(item["provider"], item["workload"])] = (item["transactions"], item["requests"])
        elif kind == "rss":
            rss[item["provider"]] = (item["kb"], item["what"])
        elif kind == "note":
            notes.append(item["text"])
        elif kind == "problem":
            problems_seen.append(item["text"])
        elif kind == "server_error":
            server_errors.append(item)

    peer_measured = any(provider == "peer" for provider, _, _ in loads)

    def rate(provider, workload):
        result = loads.get((provider, workload, "run"))
        if not result or result.get("failed") or not result["duration_s"]:
            return None
        return result["requests"] / result["duration_s"]

    def per_request(table, provider, workload):
        count, requests = table.get((provider, workload), (None, 0))
        return None if count is None or not requests else count / requests

    def fmt(value, digits=2):
        return "–" if value is None else f"{value:.{digits}f}"

    def fmt_rate(value):
        if value is None:
            return "–"
        return number(value) if value >= 100 else f"{value:.1f}"

    problems = list(problems_seen)
    for (provider, workload, phase), result in sorted(loads.items()):
        where = f"{provider} {workload} ({phase})"
        if result.get("failed"):
            problems.append(f"{where}: no result")
        if result["non2xx"]:
            problems.append(f"{where}: {result['non2xx']} non-2xx")
        sockets = sum(result.get(k, 0) for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
        if sockets:
            problems.append(f"{where}: {sockets} socket errors or timeouts")
        if result.get("exhausted"):
            problems.append(f"{where}: the pool ran out (raise POOL_SIZE)")

    lines = []
    add = lines.append
    add("# Endpoint benchmarks")
    add("")
    add(f"Run {meta.get('date', '?')} on {meta.get('nproc', '?')} cores; PostgreSQL {meta.get('postgres', '?')} "
        f"with {meta.get('durability', '?')}; load from the same machine: "
        f"wrk -t{meta.get('threads', '?')} -c{meta.get('connections', '?')}, {meta.get('warmup', '?')} s warm-up "
        f"and {meta.get('duration', '?')} s measured per workload; sign-ins by {meta.get('connections', '?')} "
        f"threads of bench/signin_load.py.")
    add("")
    add("| workload | requests/s | p50 | p99 | non-2xx | queries/req | tx/req | bound (ceiling: fraction) | peer requests/s | ratio |")
    add("|---|---|---|---|---|---|---|---|---|---|")
    for workload, title in WORKLOADS:
        result = loads.get(("gatehouse", workload, "run"))
        if not result:
            continue
        ours = rate("gatehouse", workload)
        sockets = sum(result.get(k, 0) for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
        bad = str(result["non2xx"]) + (f" (+{sockets} socket errors)" if sockets else "")
        bounds = []
        for name in BOUNDS[workload]:
            if name in ceilings and ceilings[name][0] > 0 and ours is not None:
                bounds.append(f"{CEILING_NAMES[name]} {number(ceilings[name][0])}/s: {100 * ours / ceilings[name][0]:.0f}%")
        if bounds:
            bound = "; ".join(bounds)
        elif workload == "signin":
            bound = "one scrypt (ln=17, 128 MiB) each; not measured"
        else:
            bound = "none (no database)" if not BOUNDS[workload] else "–"
        theirs = rate("peer", workload)
        ratio = f"{ours / theirs:.1f}×" if ours is not None and theirs else "–"
        add(f"| {title} | {fmt_rate(ours)} | {result['p50_ms']:.2f} ms | {result['p99_ms']:.2f} ms | {bad} "
            f"| {fmt(per_request(statements, 'gatehouse', workload))} | {fmt(per_request(transactions, 'gatehouse', workload))} "
            f"| {bound} | {fmt_rate(theirs)} | {ratio} |")
    add("")
    add("Requests/s for sign-ins is whole sign-ins per second (six requests each, one scrypt); its p50 and p99 are "
        "of whole sign-ins. Queries/req counts the statements pg_stat_statements saw in the provider's database "
        "(BEGIN/COMMIT/ROLLBACK left out) over warm-up and run, divided by the requests served: for Gatehouse, "
        "its /metrics count for the route; for the peer, the responses wrk received (up to one request per "
        "connection still in flight at each stop is not counted). tx/req is the change in pg_stat_database's "
        "commits and rollbacks, divided the same way.")
    add("")
    introspections = rate("gatehouse", "introspect")
    if introspections is not None:
        peer_side = rate("peer", "introspect")
        add(f"/introspect: {fmt_rate(introspections)}/s here, beside /userinfo's {fmt_rate(rate('gatehouse', 'userinfo'))}/s "
            f"on the same token pool (one token per request, the caller a resource server authenticated with HTTP "
            f"Basic); for reference, {INTROSPECT_REFERENCE}"
            + ("" if peer_side is not None else "; the peer was not run on this workload (see the notes)") + ".")
    else:
        add(f"/introspect was not measured in this run. For reference, {INTROSPECT_REFERENCE}.")
    add("")
    add("Ceilings, measured in the same run: " + "; ".join(
        f"{CEILING_NAMES.get(name, name)} {number(value)}/s ({detail})" for name, (value, detail) in ceilings.items()) + ".")
    if "gatehouse" in rss:
        add("")
        add(f"Peak RSS: Gatehouse {rss['gatehouse'][0] / 1024:.1f} MB ({rss['gatehouse'][1]})"
            + (f"; peer {rss['peer'][0] / 1024:.1f} MB ({rss['peer'][1]})" if "peer" in rss else "") + ".")
        steps = [f"{w} {hwm[('gatehouse', w)] / 1024:.1f}" for w, _ in WORKLOADS if ("gatehouse", w) in hwm]
        if steps:
            add(f"Gatehouse's peak RSS after each workload, in order (MB): {', '.join(steps)}.")

    if peer_measured:
        add("")
        add("Peer (django-oidc-provider) detail:")
        add("")
        add("| workload | requests/s | p50 | p99 | non-2xx | queries/req | tx/req |")
        add("|---|---|---|---|---|---|---|")
        for workload, title in WORKLOADS:
            result = loads.get(("peer", workload, "run"))
            if not result:
                continue
            add(f"| {title} | {fmt_rate(rate('peer', workload))} | {result['p50_ms']:.2f} ms | {result['p99_ms']:.2f} ms "
                f"| {result['non2xx']} | {fmt(per_request(statements, 'peer', workload))} "
                f"| {fmt(per_request(transactions, 'peer', workload))} |")

    # Targets.
    add("")
    add("Targets:")
    add("")

    def target(text, ok, detail):
        verdict = "not measured" if ok is None else ("met" if ok else "missed")
        add(f"- {text}: **{verdict}**" + (f" ({detail})" if detail else ""))

    def vs_peer(workload, factor):
        ours, theirs = rate("gatehouse", workload), rate("peer", workload)
        if ours is None or not theirs:
            return None, "peer not measured" if not peer_measured else "no result"
        return ours >= factor * theirs, f"{ours / theirs:.1f}×"

    def vs_ceiling(workload, name, fraction):
        ours = rate("gatehouse", workload)
        if ours is None or name not in ceilings or not ceilings[name][0]:
            return None, ""
        share = ours / ceilings[name][0]
        return share >= fraction, f"{100 * share:.0f}%"

    target("/userinfo at least 10× the peer", *vs_peer("userinfo", 10))
    target("/userinfo at least 50% of pgbench -S", *vs_ceiling("userinfo", "pgbench_select", 0.5))
    target("/token client_credentials at least 10× the peer", *vs_peer("client_credentials", 10))
    target("/token client_credentials at least 50% of the one-row INSERT ceiling",
           *vs_ceiling("client_credentials", "pgbench_insert", 0.5))
    target("/token authorization_code at least 5× the peer", *vs_peer("authorization_code", 5))
    target("/token refresh_token at least 5× the peer", *vs_peer("refresh_token", 5))
    slow = [f"{w} {loads[('gatehouse', w, 'run')]['p99_ms']:.1f} ms" for w, _ in WORKLOADS
            if w != "signin" and ("gatehouse", w, "run") in loads and loads[("gatehouse", w, "run")]["p99_ms"] > P99_LIMIT_MS]
    measured = [w for w, _ in WORKLOADS if w != "signin" and ("gatehouse", w, "run") in loads]
    target(f"p99 at most {P99_LIMIT_MS} ms on every endpoint workload (sign-ins, six requests and a scrypt each, not included)",
           (not slow) if measured else None, ", ".join(slow) if slow else "")
    if "gatehouse" in rss:
        megabytes = rss["gatehouse"][0] / 1024
        target(f"peak RSS at most {RSS_LIMIT_MB} MB", megabytes <= RSS_LIMIT_MB, f"{megabytes:.1f} MB")
    queries = per_request(statements, "gatehouse", "userinfo")
    target("one query per /userinfo", None if queries is None else queries <= 1.005, fmt(queries))
    introspections = per_request(statements, "gatehouse", "introspect")
    target("one query per /introspect", None if introspections is None else introspections <= 1.005, fmt(introspections))
    grants = {w: per_request(transactions, "gatehouse", w) for w in ("client_credentials", "refresh_token", "authorization_code")}
    known = [v for v in grants.values() if v is not None]
    target("one transaction per /token grant", (all(v <= 1.02 for v in known)) if known else None,
           ", ".join(f"{w} {fmt(v)}" for w, v in grants.items()))

    if notes or server_errors:
        add("")
        add("Notes:")
        add("")
        for text in notes:
            add(f"- {text}")
        for item in server_errors:
            add(f"- Gatehouse logged {item['count']} × {item['route']} {item['status']}")

    add("")
    if problems:
        add("**The run is INVALID:** " + "; ".join(problems) + ".")
    else:
        add("Every response was 2xx: the run is valid.")

    text = "\n".join(lines) + "\n"
    sys.stdout.write("\n" + text)
    with open(out_path, "w") as out:
        out.write(text)
    print(f"\n(written to {out_path})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
