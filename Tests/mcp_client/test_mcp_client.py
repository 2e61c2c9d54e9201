"""Paperboy's MCP server through the official Python SDK (PyPI `mcp`), over both transports.

Tests/mcp_client/run.sh prepares the database and the server and sets:
  PAPERBOY_BIN         the paperboy binary (stdio: `paperboy mcp --database ...`)
  PAPERBOY_DATABASE    the database both transports serve
  PAPERBOY_MODEL       the embedding model's folder (hybrid search and similar papers)
  PAPERBOY_TEST_URL    the running `serve` (HTTP: $PAPERBOY_TEST_URL/mcp)
  PAPERBOY_TEST_TOKEN  a personal access token of the user "mcpuser"
Every test runs on both transports: they must answer alike.
"""

import asyncio
import contextlib
import os
import tempfile

import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

BIN = os.environ["PAPERBOY_BIN"]
DATABASE = os.environ["PAPERBOY_DATABASE"]
MODEL = os.environ["PAPERBOY_MODEL"]
URL = os.environ["PAPERBOY_TEST_URL"]
TOKEN = os.environ["PAPERBOY_TEST_TOKEN"]

READ_TOOLS = ["search_papers", "get_paper", "list_papers", "similar_papers"]
WRITE_TOOLS = ["upvote_paper", "submit_paper"]


@contextlib.asynccontextmanager
async def session(transport, token=False):
    if transport == "stdio":
        env = {"PATH": os.environ.get("PATH", ""), "PAPERBOY_LOG_LEVEL": "warning"}
        with tempfile.TemporaryDirectory() as folder:
            args = ["mcp", "--database", DATABASE, "--model", MODEL, "--base-url", URL, "--submit-window-days", "3650"]
            if token:
                path = os.path.join(folder, "token")
                with open(path, "w") as f:
                    f.write(TOKEN + "\n")
                args += ["--token-file", path]
            params = StdioServerParameters(command=BIN, args=args, env=env)
            async with stdio_client(params) as (read, write):
                async with ClientSession(read, write) as s:
                    await s.initialize()
                    yield s
    else:
        headers = {"Authorization": f"Bearer {TOKEN}"} if token else None
        async with create_mcp_http_client(headers=headers) as client:
            async with streamable_http_client(f"{URL}/mcp", http_client=client) as streams:
                async with ClientSession(streams[0], streams[1]) as s:
                    await s.initialize()
                    yield s


def run(transport, body, token=False):
    async def main():
        async with session(transport, token) as s:
            return await body(s)

    return asyncio.run(main())


def text(result):
    return result.content[0].text


@pytest.fixture(params=["stdio", "http"])
def transport(request):
    return request.param


def test_initialize_names_the_server_and_its_capabilities(transport):
    async def body(s):
        return s.server_info, s.server_capabilities

    info, capabilities = run(transport, body)
    assert info.name == "paperboy"
    assert capabilities.tools is not None
    assert capabilities.resources is not None


def test_without_a_token_only_the_reading_tools_are_listed(transport):
    async def body(s):
        return [t.name for t in (await s.list_tools()).tools]

    assert run(transport, body) == READ_TOOLS
    assert run(transport, body, token=True) == READ_TOOLS + WRITE_TOOLS


def test_every_tool_has_a_schema_and_a_description(transport):
    async def body(s):
        return (await s.list_tools()).tools

    for tool in run(transport, body, token=True):
        assert tool.description
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is False


def test_hybrid_search_finds_a_paper_described_in_other_words(transport):
    # The seed paper 2412.90001 ("Alignment faking in large language models") described without its title's words.
    async def body(s):
        return await s.call_tool(
            "search_papers", {"query": "models that pretend to comply with training to keep their preferences"}
        )

    result = run(transport, body)
    assert not result.is_error
    structured = result.structured_content
    assert structured["mode"] == "hybrid"
    ids = [p["id"] for p in structured["papers"]]
    assert "2412.90001" in ids[:3], ids
    assert "(hybrid search)" in text(result)
    first = structured["papers"][0]
    assert first["url"].startswith(URL + "/papers/")
    assert first["score"] > 0


def test_search_filters_and_limits(transport):
    async def body(s):
        return await s.call_tool(
            "search_papers",
            {"query": "language models", "mode": "keyword", "limit": 3, "category": "cs.CL", "after": "2024-01-01"},
        )

    result = run(transport, body)
    papers = result.structured_content["papers"]
    assert 1 <= len(papers) <= 3
    for paper in papers:
        assert "cs.CL" in paper["categories"]
        assert paper["featured_day"] >= "2024-01-01"
        assert paper["matched_terms"]


@pytest.mark.parametrize(
    "tool,arguments,message",
    [
        ("search_papers", {"query": "x", "limit": 0}, "limit must be an integer from 1 to 50"),
        ("search_papers", {"query": "x", "mode": "fuzzy"}, "mode must be one of hybrid, keyword, semantic"),
        ("search_papers", {}, "query is required"),
        (
            "search_papers",
            {"query": "x", "after": "yesterday"},
            "after must be a day from 1000-01-01 to 9999-12-31, written YYYY-MM-DD",
        ),
        (
            "get_paper",
            {"id": "2611.99999"},
            "paper 2611.99999 is not on this site (submit_paper adds a paper from arXiv)",
        ),
        ("get_paper", {"id": "nonsense"}, "id must be an arXiv id such as 2511.01234 or hep-th/9901001, not nonsense"),
        ("list_papers", {"date": "2025-02-30"}, "date must be a day from 1000-01-01 to 9999-12-31, written YYYY-MM-DD"),
        ("list_papers", {"date": "2025-01-01", "month": "2025-01"}, "give at most one of date, week and month"),
        ("similar_papers", {"id": "2412.90001", "limit": 500}, "limit must be an integer from 1 to 50"),
    ],
)
def test_bad_arguments_are_tool_errors_with_a_message(transport, tool, arguments, message):
    async def body(s):
        return await s.call_tool(tool, arguments)

    result = run(transport, body)
    assert result.is_error
    assert text(result) == message


def test_get_paper_is_the_papers_markdown_page(transport):
    import urllib.request

    with urllib.request.urlopen(f"{URL}/papers/2412.90001.md") as answer:
        markdown = answer.read().decode()

    async def body(s):
        return await s.call_tool("get_paper", {"id": "arXiv:2412.90001v2"})

    result = run(transport, body)
    assert text(result).startswith(markdown)
    assert result.structured_content["id"] == "2412.90001"


def test_list_papers_without_a_period_is_the_newest_day(transport):
    async def body(s):
        newest = await s.call_tool("list_papers", {})
        month = await s.call_tool("list_papers", {"month": "2025-10", "limit": 5, "sort": "trending"})
        return newest, month

    newest, month = run(transport, body)
    assert text(newest).startswith("Papers of ")
    days = {p["featured_day"] for p in newest.structured_content["papers"]}
    assert len(days) == 1
    assert len(month.structured_content["papers"]) <= 5
    assert all(p["featured_day"].startswith("2025-10") for p in month.structured_content["papers"])


def test_similar_papers(transport):
    async def body(s):
        return await s.call_tool("similar_papers", {"id": "2412.90001", "limit": 3})

    result = run(transport, body)
    papers = result.structured_content["papers"]
    assert len(papers) == 3
    assert all(0 < p["similarity"] <= 1 for p in papers)
    assert "2412.90001" not in [p["id"] for p in papers]


def test_a_paper_is_a_resource(transport):
    async def body(s):
        templates = await s.list_resource_templates()
        read = await s.read_resource("paper://2412.90001")
        return templates, read

    templates, read = run(transport, body)
    assert [t.uri_template for t in templates.resource_templates] == ["paper://{id}"]
    assert read.contents[0].text.startswith("# ")
    assert read.contents[0].mime_type == "text/markdown"


def test_upvote_with_a_token_counts_once(transport):
    paper = "2509.90006" if transport == "stdio" else "2510.90001"

    async def body(s):
        first = await s.call_tool("upvote_paper", {"id": paper})
        again = await s.call_tool("upvote_paper", {"id": paper})
        return first, again

    first, again = run(transport, body, token=True)
    assert not first.is_error, text(first)
    assert first.structured_content == {"id": paper, "upvotes": 1, "upvoted": True, "user": "mcpuser"}
    assert again.structured_content["upvotes"] == 1


def test_write_tools_refuse_without_a_token(transport):
    async def body(s):
        return await s.call_tool("upvote_paper", {"id": "2412.90001"})

    result = run(transport, body)
    assert result.is_error
    assert text(result).startswith("upvote_paper acts as a user: connect with a personal access token")


def test_submit_paper_features_it(transport):
    # Papers outside the fixture files, added by run.sh for each transport.
    paper = "2612.90011" if transport == "stdio" else "2612.90012"

    async def body(s):
        first = await s.call_tool("submit_paper", {"id": paper})
        again = await s.call_tool("submit_paper", {"id": paper})
        return first, again

    first, again = run(transport, body, token=True)
    assert not first.is_error, text(first)
    assert first.structured_content["id"] == paper
    assert text(first).startswith(f"Submitted {paper} as mcpuser")
    assert again.is_error
    assert text(again) == f"paper {paper} was submitted already"
