"""Three Paperboy `serve` nodes on one PostgreSQL database (issue 16), driven from outside as a load balancer would.

Run by Tests/nodes/run.sh, which prepares the database, the voters and the SMTP sink, and passes them in the
environment. Each check prints what it saw; the script exits 1 when any fails. What it checks:

- votes through different nodes at once give exact counts, on every node, within 2 s (response cache on);
- a paper ingested beside one node is found by search on the other two within 2 s;
- the digest scheduler runs on all three and every subscriber gets one digest, never two;
- one node killed with SIGKILL under load: the other two answer every request meanwhile;
- the killed node, restarted, catches up with what changed while it was down.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

BIN = os.environ["PAPERBOY_BIN"]
TMP = os.environ["NODES_TMP"]
SMTP_PORT = os.environ["SMTP_PORT"]
PORTS = [int(p) for p in os.environ["NODE_PORTS"].split(",")]
TOKENS = os.environ["VOTER_TOKENS"].split(",")
SUBSCRIBERS = os.environ["SUBSCRIBERS"].split(",")
VOTED_PAPER = os.environ["VOTED_PAPER"]
CATCH_UP = 2.0

failures = []


def check(ok, what):
    print(("ok      " if ok else "FAILED  ") + what, flush=True)
    if not ok:
        failures.append(what)


def url(node, path):
    return f"http://127.0.0.1:{PORTS[node]}{path}"


def get_json(node, path, timeout=5):
    with urllib.request.urlopen(url(node, path), timeout=timeout) as answer:
        return json.loads(answer.read())


def post(node, path, token):
    request = urllib.request.Request(
        url(node, path), data=b"{}", method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def start_node(node):
    """Starts node `node` on its port with its own index folder; returns the process once /health answers."""
    port = PORTS[node]
    log = open(os.path.join(TMP, f"node{node}.log"), "ab")
    process = subprocess.Popen(
        [BIN, "serve", "--port", str(port), "--index-dir", os.path.join(TMP, f"node{node}.index"),
         "--base-url", f"http://127.0.0.1:{PORTS[0]}", "--cache-ttl", "60", "--model", os.path.join(TMP, "no-model"),
         "--smtp-host", "127.0.0.1", "--smtp-port", SMTP_PORT, "--smtp-tls", "none",
         "--mail-from", "papers@example.org", "--digest-hour", "0", "--log-level", "warning"],
        stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"node {node} exited with {process.returncode}; see {log.name}")
        try:
            urllib.request.urlopen(url(node, "/health"), timeout=1).read()
            return process
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise SystemExit(f"node {node} did not answer /health within 60 s")


def wait_until(condition, limit):
    """Polls `condition` until it holds or `limit` seconds pass; returns the seconds it took, or None."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > limit:
            return None
        time.sleep(0.05)


def upvotes(node):
    return get_json(node, f"/api/papers/{VOTED_PAPER}")["upvotes"]


def found(node, word):
    return any(item["paper"]["id"].startswith("2612.") for item in get_json(node, f"/api/papers/search?q={word}"))


def ingest(record_id, word):
    """Stores a new paper as a harvest beside a node would: a separate process writing the database."""
    record = {
        "id": record_id, "title": f"Observations of {word} in the laboratory", "authors": "A. Tester",
        "abstract": f"We report {word}, seen for the first time.", "categories": "physics.gen-ph",
        "versions": [{"version": "v1", "created": "Wed, 2 Dec 2026 10:00:00 GMT"}], "update_date": "2026-12-02"}
    path = os.path.join(TMP, f"{record_id}.jsonl")
    with open(path, "w") as f:
        f.write(json.dumps(record) + "\n")
    subprocess.run([BIN, "ingest", "--index-dir", os.path.join(TMP, "ingest.index"), "--log-level", "warning", path],
                   check=True, stdout=subprocess.DEVNULL)


def main():
    nodes = [start_node(n) for n in range(3)]
    print(f"three nodes on ports {PORTS}", flush=True)
    # Warm every node's cache with the answers that are about to change.
    for n in range(3):
        upvotes(n)
        get_json(n, "/api/papers/search?q=qzxvortex")

    # Votes: every voter votes through two nodes at once (the second is a repeat), none through the same node.
    threads = [threading.Thread(target=post, args=(n % 3, f"/api/papers/{VOTED_PAPER}/upvote", token))
               for i, token in enumerate(TOKENS) for n in (i, i + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = len(TOKENS)
    took = [wait_until(lambda n=n: upvotes(n) == expected, CATCH_UP) for n in range(3)]
    check(all(t is not None for t in took),
          f"{2 * expected} votes by {expected} voters through three nodes count {expected} on every node "
          f"(seen after {', '.join('-' if t is None else f'{t:.2f} s' for t in took)})")

    # A paper stored beside node 0 is found by search on nodes 1 and 2.
    ingest("2612.00001", "qzxvortex")
    took = [wait_until(lambda n=n: found(n, "qzxvortex"), CATCH_UP) for n in (1, 2)]
    check(all(t is not None for t in took),
          "a paper ingested beside node 0 is found by search on nodes 1 and 2 "
          f"(after {', '.join('-' if t is None else f'{t:.2f} s' for t in took)})")

    # The digest: every node runs the scheduler; each subscriber gets exactly one digest.
    def delivered():
        counts = {}
        for name in os.listdir(os.path.join(TMP, "mail")):
            if name.endswith(".json"):
                with open(os.path.join(TMP, "mail", name)) as f:
                    for rcpt in json.load(f)["rcpt_tos"]:
                        counts[rcpt.lower()] = counts.get(rcpt.lower(), 0) + 1
        return counts
    wait_until(lambda: len(delivered()) >= len(SUBSCRIBERS), 60)
    time.sleep(3)  # a second send, if any, would be on its way by now
    counts = delivered()
    check(sorted(counts) == sorted(s.lower() for s in SUBSCRIBERS) and set(counts.values()) == {1},
          f"three schedulers sent {sum(counts.values())} digests to {len(SUBSCRIBERS)} subscribers: {counts}")

    # Node 1 killed under load: nodes 0 and 2 answer every request meanwhile.
    stop = threading.Event()
    answered = {0: 0, 2: 0}
    errors = []

    def load(n):
        paths = ["/api/daily_papers?limit=20", "/api/papers/search?q=galaxy", "/papers?date=2026-11-20", "/"]
        i = 0
        while not stop.is_set():
            try:
                urllib.request.urlopen(url(n, paths[i % len(paths)]), timeout=10).read()
                answered[n] += 1
            except Exception as error:  # noqa: BLE001 - every failure counts
                errors.append(f"node {n}: {error}")
            i += 1
    loaders = [threading.Thread(target=load, args=(n,)) for n in (0, 2) for _ in range(3)]
    for t in loaders:
        t.start()
    time.sleep(2)
    nodes[1].send_signal(signal.SIGKILL)
    nodes[1].wait()
    time.sleep(3)
    stop.set()
    for t in loaders:
        t.join()
    check(not errors and answered[0] > 0 and answered[2] > 0,
          f"node 1 killed with SIGKILL under load; nodes 0 and 2 answered {answered[0]} and {answered[2]} requests, "
          f"{len(errors)} failed {errors[:3]}")

    # While node 1 is down: a new paper and a vote withdrawn. Restarted, it catches up.
    ingest("2612.00002", "qzxquasar")
    post(0, f"/api/papers/{VOTED_PAPER}/upvote", TOKENS[0])  # a repeat changes nothing
    request = urllib.request.Request(
        url(2, f"/api/papers/{VOTED_PAPER}/upvote"), method="DELETE", headers={"Authorization": f"Bearer {TOKENS[0]}"})
    urllib.request.urlopen(request, timeout=10).read()
    nodes[1] = start_node(1)
    took = wait_until(lambda: found(1, "qzxquasar") and upvotes(1) == expected - 1, CATCH_UP)
    check(took is not None,
          f"node 1, restarted, finds the paper stored while it was down and counts {expected - 1} votes "
          f"({'-' if took is None else f'{took:.2f} s'} after it answered)")

    for process in nodes:
        process.send_signal(signal.SIGTERM)
    for process in nodes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            failures.append("a node did not stop within 30 s of SIGTERM")
    check(all(p.returncode == 0 for p in nodes), f"every node stopped cleanly on SIGTERM ({[p.returncode for p in nodes]})")
    if failures:
        print(f"{len(failures)} of the multi-node checks failed", flush=True)
        sys.exit(1)
    print("every multi-node check passed", flush=True)


if __name__ == "__main__":
    main()
