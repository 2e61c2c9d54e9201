#!/usr/bin/env python3
"""Offline evaluation of personal recommendations: Paperboy against arxiv-sanity-lite.

Simulated users like a few papers of one interest (one or two arXiv categories, or
a whole topic); the rest of that interest's papers are held out, and each method
must find them in its top 10. Methods:

  * Paperboy (`paperboy eval-recommend`), with the ablation variants it reports;
  * arxiv-sanity-lite's recommender: tf-idf of title + abstract + author names
    (compute.py) and one LinearSVC per user on those features (serve.py).

Metrics per user: precision@10 and nDCG@10 (binary gains) against the held-out
papers; per setting, the mean and a 95 % percentile bootstrap interval over users.
Everything is seeded, so reruns give the same users and the same numbers.

  python3 Benchmarks/recommend/eval.py --corpus real --paperboy .build/release/paperboy \
      --model-dir models/all-MiniLM-L6-v2 --work /tmp/rec
  python3 Benchmarks/recommend/eval.py --corpus topical --topical-n 4000 --skip-paperboy --work /tmp/rec
"""
import argparse, itertools, json, math, os, random, sqlite3, subprocess, sys, time, warnings

import numpy as np
from sklearn import svm
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
REAL_FILES = [os.path.join(REPO, "Tests", "Fixtures", "arxiv-sample-200.jsonl"),
              os.path.join(REPO, "Tests", "Fixtures", "seed-papers.jsonl")]
MAKE_CORPUS = os.path.join(REPO, "..", "shared", "corpus", "make_corpus.py")

# Paperboy command line (check with `paperboy <command> --help`).
CMD_INGEST, CMD_EMBED, CMD_RECOMMEND = "ingest", "embed", "eval-recommend"
FLAG_DATABASE, FLAG_MODEL = "--database", "--model"          # embed's model folder flag is --model
FLAG_USERS, FLAG_OUT, FLAG_LIMIT = "--users", "--out", "--limit"
MAIN_VARIANT = "paperboy"                                     # the other variants are ablations

K = 10
# The newest submission day of the topical corpus: early enough that its later versions (up to 120 days on) are not
# in the future, which ingest refuses.
TOPICAL_END = "2026-08-01"
USER_SEED, BOOTSTRAP_SEED, SVM_SEED = 17, 23, 0
BOOTSTRAP_RESAMPLES = 10_000

# Copy of TOPICS in ../shared/corpus/make_corpus.py: the categories of the six topics
# (disjoint), so a synthetic paper's topic is the topic owning its first category.
TOPICS = {
    "ml": ["cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.IR"],
    "math": ["math.PR", "math.OC", "math.AG", "math.NT", "math.CO"],
    "cond": ["cond-mat.stat-mech", "cond-mat.mes-hall", "cond-mat.str-el", "cond-mat.mtrl-sci"],
    "hep": ["hep-ph", "hep-th", "hep-ex", "nucl-th"],
    "astro": ["astro-ph.GA", "astro-ph.CO", "astro-ph.SR", "gr-qc"],
    "phys": ["physics.optics", "quant-ph", "nlin.CD", "physics.flu-dyn", "q-bio.NC"],
}
TOPIC_OF = {c: t for t, cs in TOPICS.items() for c in cs}

# arxiv-sanity-lite, https://github.com/karpathy/arxiv-sanity-lite at d7a303b (2022-02-13):
#   compute.py lines 18-20 (defaults --num 20000, --min_df 5, --max_df 0.1) and 25-31 (TfidfVectorizer);
#   compute.py lines 50-51: text = title + ' ' + summary + ' ' + author names joined by spaces;
#   compute.py line 57: features cast to float32;
#   serve.py line 120 and 231: C = 0.01 default; line 137 y float32 zeros, 1.0 for tagged papers;
#   serve.py lines 152-155: LinearSVC(class_weight='balanced', verbose=False, max_iter=10000,
#   tol=1e-6, C=C), fit on all papers, rank by -decision_function.
# Deviations: dual=True is pinned (the LinearSVC default of scikit-learn 1.0.1, which
# arxiv-sanity-lite's requirements.txt pins; newer versions default to "auto") and
# random_state is fixed so that liblinear's coordinate descent is reproducible.
TFIDF = dict(input="content", encoding="utf-8", decode_error="replace", strip_accents="unicode",
             lowercase=True, analyzer="word", stop_words="english",
             token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
             ngram_range=(1, 2), max_features=20000,
             norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True,
             max_df=0.1, min_df=5)
SVM = dict(class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01,
           dual=True, random_state=SVM_SEED)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- corpus

def corpus_file(args):
    if args.corpus == "real":
        path = os.path.join(args.work, "real.jsonl")
        with open(path, "w", encoding="utf-8") as out:
            for name in REAL_FILES:
                with open(name, encoding="utf-8") as f:
                    for line in f:
                        if line.strip():
                            out.write(line if line.endswith("\n") else line + "\n")
        return path
    path = os.path.join(args.work, "topical-%d.jsonl" % args.topical_n)
    if not os.path.exists(path):
        subprocess.run([sys.executable, MAKE_CORPUS, "--n", str(args.topical_n), "--seed", "7",
                        "--end", TOPICAL_END, "--topical", "--out", path], check=True)
    return path


def load_papers(path):
    papers = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                papers.append({"id": r["id"], "title": r["title"], "abstract": r["abstract"],
                               "authors": [" ".join(x for x in (a[1], a[0], a[2] if len(a) > 2 else "") if x)
                                           for a in r.get("authors_parsed") or []],
                               "categories": r["categories"].split()})
    return papers


# ---------------------------------------------------------------- users

def interests(args, papers, P):
    """(setting name, minimum relevant, [(label, set of relevant ids)]) per setting."""
    by_cat = {}
    for p in papers:
        for c in p["categories"]:
            by_cat.setdefault(c, set()).add(p["id"])
    if args.corpus == "real":
        need = P + 10
        cats = sorted(c for c, s in by_cat.items() if len(s) >= need)
        pairs = [(a + " + " + b, by_cat[a] | by_cat[b]) for a, b in itertools.combinations(cats, 2)]
        return [("real · 1 category · %d positives" % P, need, [(c, by_cat[c]) for c in cats]),
                ("real · 2 categories · %d positives" % P, need, pairs)]
    need = P + 20
    by_topic = {}
    for p in papers:
        by_topic.setdefault(TOPIC_OF.get(p["categories"][0], "?"), set()).add(p["id"])
    topics = [(t, by_topic.get(t, set())) for t in TOPICS]
    cats = [(c, by_cat.get(c, set())) for t in TOPICS for c in TOPICS[t]]
    return [("topical · whole topic · %d positives" % P, need, topics),
            ("topical · 1 category inside a topic · %d positives" % P, need, cats)]


def make_users(args, papers):
    rnd = random.Random(USER_SEED)
    settings, serial = [], 0
    for P in ((5,) if args.corpus == "real" else (5, 20, 100)):
        for name, need, cands in interests(args, papers, P):
            eligible = [(label, rel) for label, rel in cands if len(rel) >= need]
            if not eligible:
                log("no eligible interest for %r, skipped" % name)
                continue
            rnd.shuffle(eligible)
            users = []
            for i in range(args.users_per_setting):
                label, rel = eligible[i % len(eligible)]
                positives = rnd.sample(sorted(rel), P)
                serial += 1
                users.append({"name": "u%04d" % serial, "interest": label, "positives": positives,
                              "held_out": sorted(rel - set(positives))})
            settings.append({"setting": name, "eligible": len(eligible), "users": users})
    return settings


# ---------------------------------------------------------------- methods

def svm_rankings(papers, settings):
    ids = [p["id"] for p in papers]
    texts = [" ".join([p["title"], p["abstract"], " ".join(p["authors"])]) for p in papers]
    v = TfidfVectorizer(**TFIDF)
    v.fit(texts)
    x = v.transform(texts).astype(np.float32)
    log("tf-idf: %d papers x %d features" % x.shape)
    row = {pid: i for i, pid in enumerate(ids)}
    out, times, unconverged = {}, [], 0
    for s in settings:
        for u in s["users"]:
            t0 = time.perf_counter()
            y = np.zeros(len(ids), dtype=np.float32)
            y[[row[pid] for pid in u["positives"]]] = 1.0
            clf = svm.LinearSVC(**SVM)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                clf.fit(x, y)
            unconverged += any(issubclass(w.category, ConvergenceWarning) for w in caught)
            scores = clf.decision_function(x)
            times.append(time.perf_counter() - t0)
            pos = set(u["positives"])
            out[u["name"]] = [ids[i] for i in np.argsort(-scores, kind="stable") if ids[i] not in pos][:K]
    info = {"features": int(x.shape[1]), "svm_ms_mean": 1000 * float(np.mean(times)),
            "svm_unconverged_users": unconverged}
    return out, info


def paperboy_rankings(args, corpus_path, settings):
    db = os.path.join(args.work, "%s.sqlite" % os.path.splitext(os.path.basename(corpus_path))[0]
                      if args.corpus == "topical" else "real.sqlite")
    if not embedded(db, corpus_path):
        run([args.paperboy, CMD_INGEST, FLAG_DATABASE, db, corpus_path])
        run([args.paperboy, CMD_EMBED, FLAG_DATABASE, db, FLAG_MODEL, args.model_dir])
    else:
        log("re-using %s" % db)
    users_path = os.path.join(args.work, "users-%s.json" % args.corpus)
    with open(users_path, "w", encoding="utf-8") as f:
        json.dump({"users": [{"name": u["name"], "positives": u["positives"]}
                             for s in settings for u in s["users"]]}, f, indent=1)
    out_path = os.path.join(args.work, "paperboy-%s.json" % args.corpus)
    t0 = time.perf_counter()
    run([args.paperboy, CMD_RECOMMEND, FLAG_DATABASE, db, FLAG_MODEL, args.model_dir, FLAG_USERS, users_path,
         FLAG_OUT, out_path, FLAG_LIMIT, str(K)])
    log("paperboy eval-recommend: %.1f s" % (time.perf_counter() - t0))
    with open(out_path, encoding="utf-8") as f:
        return json.load(f)["variants"]


def embedded(db, corpus_path):
    """True when the database holds every paper of the corpus and at least as many vectors."""
    if not os.path.exists(db):
        return False
    with open(corpus_path, encoding="utf-8") as f:
        n = sum(1 for line in f if line.strip())
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        papers = con.execute("SELECT count(*) FROM papers").fetchone()[0]
        vectors = con.execute("SELECT count(*) FROM paper_vectors").fetchone()[0]
        con.close()
    except sqlite3.Error:
        return False
    return papers >= n and vectors >= papers


def run(cmd):
    log("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True)


# ---------------------------------------------------------------- metrics

def precision_ndcg(ranked, held_out):
    hits = [1.0 if pid in held_out else 0.0 for pid in ranked[:K]]
    dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hits))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(K, len(held_out))))
    return sum(hits) / K, (dcg / ideal if ideal else 0.0)


def bootstrap(values, idx):
    v = np.asarray(values, dtype=np.float64)
    means = v[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {"mean": float(v.mean()), "lo": float(lo), "hi": float(hi)}


def evaluate(settings, methods):
    """methods: {method name: {user name: ranked ids}} -> per setting, method, metric statistics."""
    results = []
    for si, s in enumerate(settings):
        users = s["users"]
        idx = np.random.default_rng(BOOTSTRAP_SEED + si).integers(0, len(users), (BOOTSTRAP_RESAMPLES, len(users)))
        row = {"setting": s["setting"], "users": len(users), "eligible_interests": s["eligible"], "methods": {}}
        for m, ranking in methods.items():
            per = {"p@10": [], "nDCG@10": []}
            missing = leaked = 0
            for u in users:
                ranked = ranking.get(u["name"])
                missing += ranked is None
                pos = set(u["positives"])
                leaked += any(pid in pos for pid in ranked or [])
                p, n = precision_ndcg([pid for pid in ranked or [] if pid not in pos], set(u["held_out"]))
                per["p@10"].append(p)
                per["nDCG@10"].append(n)
            if missing or leaked:
                log("%s / %s: %d users without a ranking, %d rankings holding positives (dropped)"
                    % (s["setting"], m, missing, leaked))
            row["methods"][m] = {k: dict(bootstrap(v, idx), per_user=v) for k, v in per.items()}
        results.append(row)
    return results


# ---------------------------------------------------------------- report

def fmt(st, ci=True):
    return "%.3f [%.3f, %.3f]" % (st["mean"], st["lo"], st["hi"]) if ci else "%.3f" % st["mean"]


def verdict(pb, sv):
    if pb["lo"] > sv["hi"]:
        return "ahead"
    return "holds" if pb["mean"] >= sv["lo"] else "behind"


def table(results, ablations, have_paperboy):
    head = ["setting", "users"]
    for metric in ("p@10", "nDCG@10"):
        if have_paperboy:
            head.append("%s Paperboy" % metric)
        head.append("%s SVM" % metric)
        head += ["%s %s" % (metric, a) for a in ablations]
    if have_paperboy:
        head.append("verdict (p@10 / nDCG@10)")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        m = r["methods"]
        cells = [r["setting"], str(r["users"])]
        for metric in ("p@10", "nDCG@10"):
            if have_paperboy:
                cells.append(fmt(m[MAIN_VARIANT][metric]))
            cells.append(fmt(m["svm"][metric]))
            cells += [fmt(m[a][metric], ci=False) for a in ablations]
        if have_paperboy:
            v = [verdict(m[MAIN_VARIANT][k], m["svm"][k]) for k in ("p@10", "nDCG@10")]
            r["verdict"] = dict(zip(("p@10", "nDCG@10"), v))
            cells.append(" / ".join(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=["real", "topical"], required=True)
    ap.add_argument("--paperboy", help="path of the paperboy binary")
    ap.add_argument("--model-dir", default=os.path.join(REPO, "models", "all-MiniLM-L6-v2"))
    ap.add_argument("--work", required=True, help="directory for corpora, databases and results")
    ap.add_argument("--topical-n", type=int, default=4000)
    ap.add_argument("--users-per-setting", type=int, default=50)
    ap.add_argument("--skip-paperboy", action="store_true", help="only the SVM column")
    args = ap.parse_args()
    if not args.skip_paperboy and not args.paperboy:
        ap.error("--paperboy is required unless --skip-paperboy")
    os.makedirs(args.work, exist_ok=True)
    started = time.perf_counter()

    path = corpus_file(args)
    papers = load_papers(path)
    settings = make_users(args, papers)
    log("%s corpus: %d papers, %d settings, %d users" % (args.corpus, len(papers), len(settings),
                                                          sum(len(s["users"]) for s in settings)))
    t0 = time.perf_counter()
    svm_ranked, info = svm_rankings(papers, settings)
    info["svm_total_s"] = time.perf_counter() - t0
    methods = {}
    if not args.skip_paperboy:
        variants = paperboy_rankings(args, path, settings)
        methods[MAIN_VARIANT] = variants.pop(MAIN_VARIANT)
        methods.update(variants)
    methods["svm"] = svm_ranked
    ablations = [m for m in methods if m not in (MAIN_VARIANT, "svm")]

    results = evaluate(settings, methods)
    md = table(results, ablations, not args.skip_paperboy)
    info["total_s"] = time.perf_counter() - started
    md += ("\n\n%s corpus: %d papers; tf-idf features: %d; SVM fit + scoring per user: %.1f ms mean "
           "(%d of %d users hit max_iter); total %.1f s.\n"
           % (args.corpus, len(papers), info["features"], info["svm_ms_mean"], info["svm_unconverged_users"],
              sum(len(s["users"]) for s in settings), info["total_s"]))
    print(md)
    with open(os.path.join(args.work, "results-%s.md" % args.corpus), "w", encoding="utf-8") as f:
        f.write(md)
    with open(os.path.join(args.work, "results-%s.json" % args.corpus), "w", encoding="utf-8") as f:
        json.dump({"corpus": args.corpus, "papers": len(papers), "info": info, "tfidf": TFIDF,
                   "svm": SVM, "settings": results,
                   "users": [dict(u, setting=s["setting"]) for s in settings for u in s["users"]]}, f, indent=1)


if __name__ == "__main__":
    main()
