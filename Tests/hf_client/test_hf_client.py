"""Paperboy's JSON API driven by the official Hugging Face client, unchanged.

Runs against a live server: set PAPERBOY_TEST_URL (e.g. http://127.0.0.1:18080) to a Paperboy
loaded with Tests/Fixtures/seed-papers.jsonl and arxiv-sample-200.jsonl (see run.sh). The expected
answers are computed from those files: a paper's listing day is the UTC date of its v1
(`versions[0].created`).

    pip install 'huggingface_hub>=2.4' pytest   # verified with huggingface_hub 2.4.0
"""

from __future__ import annotations

import gzip
import json
import os
from collections import defaultdict
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

# Before importing huggingface_hub: its constants are read at import time.
os.environ.pop("HF_HUB_OFFLINE", None)
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"
os.environ.pop("HF_TOKEN", None)

from huggingface_hub import HfApi  # noqa: E402
from huggingface_hub.errors import HfHubHTTPError  # noqa: E402

URL = os.environ.get("PAPERBOY_TEST_URL", "").rstrip("/")
if not URL:
    pytest.skip("PAPERBOY_TEST_URL is not set (run Tests/hf_client/run.sh)", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
# "keyword": no model, cache off (exact answers); "hybrid": the defaults, with the model and the cache on.
MODE = os.environ.get("PAPERBOY_TEST_MODE", "keyword")


def _data_dir() -> Path:
    for candidate in (os.environ.get("DATA_DIR"), REPO / "Tests" / "Fixtures"):
        if candidate and (Path(candidate) / "seed-papers.jsonl").is_file():
            return Path(candidate)
    raise RuntimeError("seed-papers.jsonl not found (set DATA_DIR)")


DATA = _data_dir()


def _load(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


SEED = _load("seed-papers.jsonl")
SAMPLE = _load("arxiv-sample-200.jsonl")
ALL = SEED + SAMPLE
BY_ID = {r["id"]: r for r in ALL}


def v1_time(record: dict) -> datetime:
    return parsedate_to_datetime(record["versions"][0]["created"]).astimezone(timezone.utc)


def collapse(text: str) -> str:
    return " ".join(text.split())


def author_names(record: dict) -> list[str]:
    # The seed records have plain "First Last, First Last" author strings (no TeX, no "and").
    return [name.strip() for name in record["authors"].split(",")]


DAYS: dict[str, set[str]] = defaultdict(set)
for _r in ALL:
    DAYS[v1_time(_r).date().isoformat()].add(_r["id"])
SEED_DAYS = sorted({v1_time(r).date().isoformat() for r in SEED})
# Days with more than one seed paper, and one ordinary day.
MULTI_DAYS = sorted(d for d in SEED_DAYS if len(DAYS[d]) > 1)


@pytest.fixture(scope="module")
def api() -> HfApi:
    return HfApi(endpoint=URL)


def daily_all(api: HfApi, **kwargs) -> list:
    """Every daily paper for the filter, following pages of 100 (the client never pages by itself)."""
    papers: list = []
    for page in range(100):
        batch = list(api.list_daily_papers(p=page, limit=100, token=False, **kwargs))
        papers += batch
        if len(batch) < 100:
            return papers
    raise AssertionError("more than 100 pages")


def test_seed_data_is_what_the_suite_expects():
    assert len(SEED) == 86
    assert len(SAMPLE) == 200
    assert len(BY_ID) == 286
    assert MULTI_DAYS, "the seed should contain a day with several papers"


# MARK: list_daily_papers


@pytest.mark.parametrize("day", SEED_DAYS)
def test_daily_papers_of_a_day_are_exactly_that_days_papers(api, day):
    papers = daily_all(api, date=day)
    ids = [p.id for p in papers]
    assert len(ids) == len(set(ids)), f"duplicates in {ids}"
    assert set(ids) == DAYS[day]


@pytest.mark.parametrize("day", MULTI_DAYS[:3] + SEED_DAYS[:1])
def test_daily_paper_fields(api, day):
    papers = list(api.list_daily_papers(date=day, limit=100, token=False))
    assert papers
    for p in papers:
        record = BY_ID[p.id]
        assert p.title == collapse(record["title"])
        assert p.summary == collapse(record["abstract"])
        assert p.authors is not None
        assert [a.name for a in p.authors] == author_names(record)
        assert all(a.hidden is False for a in p.authors)
        assert isinstance(p.published_at, datetime)
        assert p.published_at == v1_time(record)
        assert p.published_at.tzinfo is not None
        # Featured (top-level `publishedAt`) on the listing day.
        assert isinstance(p.submitted_at, datetime)
        assert p.submitted_at.date().isoformat() == day
        # The client reads `paper.upvotes or upvotes`: 0 on the paper falls through to the
        # (absent) top-level key and becomes None, exactly as on huggingface.co.
        assert p.upvotes in (0, None)
        assert (p.upvotes or 0) == 0
        assert p.comments == 0


def test_daily_papers_of_an_old_day(api):
    day = v1_time(SAMPLE[0]).date().isoformat()  # 2007-04-02: 108 papers, so two pages
    assert len(DAYS[day]) > 100
    papers = daily_all(api, date=day)
    ids = [p.id for p in papers]
    assert len(ids) == len(set(ids))
    assert set(ids) == DAYS[day]
    for p in papers:
        assert p.published_at == v1_time(BY_ID[p.id])


def test_daily_papers_of_a_day_without_papers(api):
    assert list(api.list_daily_papers(date="2001-01-01", token=False)) == []


def test_daily_papers_of_a_month(api):
    month = "2025-09"
    expected = {r["id"] for r in ALL if v1_time(r).strftime("%Y-%m") == month}
    assert len(expected) > 2
    papers = daily_all(api, month=month)
    assert {p.id for p in papers} == expected


def test_daily_papers_of_a_week(api):
    day = MULTI_DAYS[0]
    iso = datetime.fromisoformat(day).isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    expected = {
        r["id"] for r in ALL if v1_time(r).isocalendar()[:2] == (iso.year, iso.week)
    }
    papers = daily_all(api, week=week)
    assert {p.id for p in papers} == expected


def test_daily_papers_pages_with_p_and_limit(api):
    month = "2025-09"
    expected = {r["id"] for r in ALL if v1_time(r).strftime("%Y-%m") == month}
    seen: list[str] = []
    for page in range(len(expected) + 1):
        ids = [p.id for p in api.list_daily_papers(month=month, p=page, limit=2, token=False)]
        assert len(ids) <= 2
        if not ids:
            break
        seen += ids
    assert len(seen) == len(set(seen)), f"pages overlap: {seen}"
    assert set(seen) == expected


@pytest.mark.parametrize("sort", ["publishedAt", "trending"])
def test_daily_papers_sort_keeps_the_set(api, sort):
    month = "2025-09"
    expected = {r["id"] for r in ALL if v1_time(r).strftime("%Y-%m") == month}
    papers = list(api.list_daily_papers(month=month, sort=sort, limit=100, token=False))
    assert {p.id for p in papers} == expected


def test_daily_papers_by_an_unknown_submitter_is_empty(api):
    assert list(api.list_daily_papers(submitter="nobody-here", token=False)) == []


# MARK: the community, as the client reads it


COMMUNITY_PAPER = "2612.90001"  # ingested by run.sh beside the fixtures, submitted here


def _post(path: str, body: dict, token: str) -> tuple[int, dict]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        URL + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.skipif(not os.environ.get("PAPERBOY_TEST_TOKEN"), reason="run.sh makes the user and token")
def test_the_client_reads_who_submitted_a_paper(api):
    token = os.environ["PAPERBOY_TEST_TOKEN"]
    status, body = _post("/api/papers/submit", {"paper_id": COMMUNITY_PAPER, "comment": "From the suite"}, token)
    # The keyword pass submits it; the hybrid pass, on the same database, finds it submitted already.
    assert status in (201, 409), body
    item = body if status == 201 else body["item"]
    assert item["submittedBy"]["user"] == "hfuser"

    [paper] = list(api.list_daily_papers(submitter="hfuser", token=False))
    assert paper.id == COMMUNITY_PAPER
    assert paper.submitted_by is not None
    assert paper.submitted_by.username == "hfuser"
    assert paper.submitted_by.fullname == "HF User"
    assert paper.submitted_by.avatar_url == f"{URL}/avatars/hfuser.svg"

    info = api.paper_info(COMMUNITY_PAPER)
    assert info.submitted_by is not None
    assert info.submitted_by.username == "hfuser"

    status, vote = _post(f"/api/papers/{COMMUNITY_PAPER}/upvote", {}, token)
    assert status == 200 and vote == {"upvoted": True, "upvotes": 1}
    # The submission's comment is the paper's first comment: the client reads the count.
    assert info.comments == 1
    # Papers nobody submitted carry no submitter.
    assert api.paper_info(SEED[0]["id"]).submitted_by is None


def _patch(path: str, body: dict, token: str) -> tuple[int, dict]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        URL + path, data=json.dumps(body).encode(), method="PATCH",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.skipif(not os.environ.get("PAPERBOY_TEST_TOKEN"), reason="run.sh makes the user, token and organisation")
def test_the_client_reads_organisation_code_links_and_key_phrases(api):
    token = os.environ["PAPERBOY_TEST_TOKEN"]
    status, body = _post("/api/papers/submit", {"paper_id": COMMUNITY_PAPER}, token)
    assert status in (201, 409), body
    status, body = _patch(f"/api/papers/{COMMUNITY_PAPER}", {
        "organization": "hflab", "githubRepo": "https://github.com/hflab/code",
        "projectPage": "https://hflab.example.org/paper"}, token)
    assert status == 200, body

    # Hugging Face's client reads these at the top level of a daily item, Hugging Face puts them in "paper":
    # Paperboy serves both.
    [paper] = list(api.list_daily_papers(submitter="hfuser", token=False))
    info = api.paper_info(COMMUNITY_PAPER)
    for read in (paper, info):
        assert read.organization is not None
        assert read.organization.name == "hflab"
        assert read.organization.fullname == "HF Lab"
        assert read.organization.avatar_url == f"{URL}/avatars/hflab.svg"
        assert read.github_repo == "https://github.com/hflab/code"
        assert read.project_page == "https://hflab.example.org/paper"
        assert isinstance(read.ai_summary, str) and read.ai_summary
    import urllib.request

    with urllib.request.urlopen(f"{URL}/api/daily_papers?submitter=hfuser") as response:
        raw = json.loads(response.read())[0]
    assert raw["paper"]["githubRepo"] == raw["githubRepo"]
    assert raw["paper"]["organization"] == raw["organization"]
    assert raw["isAuthorParticipating"] is False
    # Keywords come with the embeddings: the hybrid pass has them.
    if MODE == "hybrid":
        assert 3 <= len(info.ai_keywords or []) <= 6


# MARK: paper_info


@pytest.mark.parametrize("paper_id", [SEED[0]["id"], "2412.90001", "1907.90001"])
def test_paper_info(api, paper_id):
    record = BY_ID[paper_id]
    info = api.paper_info(paper_id)
    assert info.id == paper_id
    assert info.title == collapse(record["title"])
    assert info.summary == collapse(record["abstract"])
    assert [a.name for a in info.authors] == author_names(record)
    assert isinstance(info.published_at, datetime)
    assert info.published_at == v1_time(record)
    assert isinstance(info.submitted_at, datetime)
    assert info.submitted_at.date() == v1_time(record).date()
    assert info.upvotes == 0


@pytest.mark.parametrize("paper_id", [SEED[0]["id"], SAMPLE[0]["id"]])
def test_paper_info_comments_is_the_comment_count(api, paper_id):
    # PaperInfo.comments is `numComments` (an int). A top-level `comments` key in the answer
    # (e.g. arXiv's "37 pages, 15 figures") overwrites it: the client copies unknown keys onto
    # the object after parsing.
    info = api.paper_info(paper_id)
    assert info.comments == 0


def test_paper_info_of_a_paper_with_versions(api):
    record = SAMPLE[0]  # 0704.0001, v1 and v2
    assert len(record["versions"]) > 1
    info = api.paper_info(record["id"])
    assert info.id == record["id"]
    assert info.published_at == v1_time(record)


@pytest.mark.parametrize("paper_id", ["2401.99999", "0704.9999", "hep-th/9901001"])
def test_paper_info_of_an_unknown_paper_is_not_found(api, paper_id):
    with pytest.raises(HfHubHTTPError) as raised:
        api.paper_info(paper_id)
    assert raised.value.response.status_code == 404


# MARK: list_papers (search)


@pytest.mark.parametrize(
    "query, paper_id",
    [
        ("alignment faking", "2412.90001"),
        ("WinoGrande adversarial Winograd", "1907.90001"),
        ("palimpsestic membership inference", "2510.90002"),
        ("TruthRL truthful", "2509.90005"),
    ],
)
def test_search_finds_a_paper_by_title_words(api, query, paper_id):
    papers = list(api.list_papers(query=query, token=False))
    assert papers, f"no result for {query!r}"
    first = papers[0]
    assert first.id == paper_id
    assert first.title == collapse(BY_ID[paper_id]["title"])
    assert first.published_at == v1_time(BY_ID[paper_id])
    assert [a.name for a in first.authors] == author_names(BY_ID[paper_id])


def test_search_honours_limit(api):
    papers = list(api.list_papers(query="language models", limit=3, token=False))
    assert len(papers) == 3


def test_search_sends_spaces_as_plus_and_they_separate_words(api):
    # The client encodes spaces as "+": "reversal+curse+-binding". The server must read "+" as a
    # space, or the exclusion (and every multi-word query) breaks.
    curse = {
        r["id"]
        for r in ALL
        if "reversal" in (r["title"] + " " + r["abstract"]).lower()
        and "curse" in (r["title"] + " " + r["abstract"]).lower()
    }
    assert "2504.90002" in curse  # "Is the Reversal Curse a Binding Problem? ..."
    ids = [p.id for p in api.list_papers(query="reversal curse -binding", limit=50, token=False)]
    assert ids, "no result for 'reversal curse -binding'"
    assert "2504.90002" not in ids
    if MODE == "keyword":
        assert set(ids) <= curse
    else:
        # Hybrid search adds papers close in meaning; the keyword matches still come first.
        assert ids[0] in curse


def test_search_without_query_is_empty(api):
    assert list(api.list_papers(token=False)) == []


# MARK: read_paper


@pytest.mark.parametrize("paper_id", [SEED[0]["id"], "2412.90001"])
def test_read_paper(api, paper_id):
    record = BY_ID[paper_id]
    text = api.read_paper(paper_id)
    assert isinstance(text, str)
    assert text.startswith("# " + collapse(record["title"]) + "\n")
    assert author_names(record)[0] in text
    assert collapse(record["abstract"]) in text


def test_read_paper_of_an_unknown_paper_is_not_found(api):
    with pytest.raises(HfHubHTTPError) as raised:
        api.read_paper("2401.99999")
    assert raised.value.response.status_code == 404


# MARK: the response cache, as the client meets it (hybrid pass: cache on)


def _get(path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(URL + path, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_repeated_calls_give_the_same_answers(api):
    first = [p.id for p in api.list_daily_papers(date=SEED_DAYS[-1], token=False)]
    again = [p.id for p in api.list_daily_papers(date=SEED_DAYS[-1], token=False)]
    assert first and first == again
    assert [p.id for p in api.list_papers(query="alignment faking", token=False)][0] == "2412.90001"


@pytest.mark.skipif(MODE != "hybrid", reason="the cache is on in the hybrid pass only")
def test_cached_answers_carry_etags_per_encoding_and_revalidate():
    path = "/api/daily_papers?date=" + SEED_DAYS[-1]
    status, plain, body = _get(path, {})
    assert status == 200 and plain["cache-control"].startswith("public, max-age=")
    status, gz, gz_body = _get(path, {"Accept-Encoding": "gzip"})
    assert status == 200 and gz.get("content-encoding") == "gzip" and gz_body[:2] == b"\x1f\x8b"
    assert gz["etag"] != plain["etag"]
    status, _, empty = _get(path, {"If-None-Match": plain["etag"]})
    assert status == 304 and empty == b""
    status, _, _ = _get(path, {"If-None-Match": gz["etag"], "Accept-Encoding": "gzip"})
    assert status == 304
    assert json.loads(body) == json.loads(gzip.decompress(gz_body))
