#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into Fuzz/seeds/<target>/: real records from Tests/Fixtures
and hand-made hostile inputs (invalid UTF-8 in names and values, deep nesting, long fields and lists, NUL and
control characters, dates far out of range). The OAI-PMH and Atom fixture documents of the tests are kept
there as files (fixture-*.xml) and are not rewritten. Run from anywhere: python3 Fuzz/make_seeds.py"""
import gzip
import json
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "Fuzz" / "seeds"
FIXTURES = ROOT / "Tests" / "Fixtures"


def write(target, name, data):
    directory = SEEDS / target
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    (directory / name).write_bytes(data)


def fixture_lines(name, count):
    with open(FIXTURES / name, "rb") as f:
        return [line.rstrip(b"\n") for line in f.readlines()[:count]]


GOOD = (
    '{"id": "0704.0001", "submitter": "Pavel Nadolsky", "authors": "C. Bal\\\\\'azs, E. L. Berger", '
    '"title": "A title", "abstract": "  An abstract\\n on two lines. ", "categories": "hep-ph cs.LG", '
    '"versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}], "update_date": "2008-11-26", '
    '"authors_parsed": [["Bal\\\\\'azs", "C.", ""], ["Berger", "E. L.", ""]]}'
)


def snapshot():
    for index, line in enumerate(fixture_lines("arxiv-sample-200.jsonl", 24)):
        write("snapshot", f"sample-{index:02}.jsonl", line + b"\n")
    for index, line in enumerate(fixture_lines("seed-papers.jsonl", 8)):
        write("snapshot", f"seed-{index:02}.jsonl", line + b"\n")
    good = GOOD.encode()
    json.loads(GOOD)  # the hand-made record is valid JSON
    write("snapshot", "good.jsonl", good + b"\n")
    write("snapshot", "good-crlf-blank.jsonl", good + b"\r\n\r\n   \n" + good)
    write("snapshot", "gzip.jsonl.gz", gzip.compress(good + b"\n" + good + b"\n", mtime=0))
    write("snapshot", "gzip-members.jsonl.gz", gzip.compress(good + b"\n", mtime=0) * 2)
    write("snapshot", "gzip-truncated.jsonl.gz", gzip.compress(good * 3, mtime=0)[:60])
    hostile = {
        "utf8-value": good.replace(b"A title", b"Caf\xc3\x28 \xff\xfe \xed\xa0\x80 \xc0\x80"),
        "utf8-key": good.replace(b'"title"', b'"ti\xfftle"', 1),
        "utf8-author": good.replace(b"Berger", b"Ber\xe2\x82ger"),
        "nul-raw": good.replace(b"A title", b"A\x00title"),
        "nul-escaped": good.replace(b"A title", b"A\\u0000title"),
        "controls": good.replace(b"A title", b"A\\u0007\\u001b[31m\\u007f\\u0085\\u009f\x7f\xc2\x85 t"),
        "surrogates": good.replace(b"A title", b"\\ud800 \\udc00\\ud800 \\ud83d\\ude00 \\uDBFF\\uDFFF"),
        "deep-array": b'{"x": ' + b"[" * 200 + b"]" * 200 + b', "id": "0704.0001", "title": "T"}',
        "deep-object": b'{"x": ' + b'{"a": ' * 100 + b"1" + b"}" * 100 + b"}",
        "long-title": good.replace(b"A title", b"t" * 700),
        "long-list": b'{"id": "0704.0001", "title": "T", "versions": ['
        + b",".join([b'{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}'] * 6)
        + b"], "
        + b'"authors_parsed": ['
        + b",".join([b'["a","b","c","d","e"]'] * 20)
        + b"]}",
        "many-names": good.replace(b"C. Bal\\\\'azs, E. L. Berger", b", ".join([b"A and B"] * 40)),
        "dates-far": b"\n".join(
            good.replace(b"Mon, 2 Apr 2007 19:18:42 GMT", d)
            for d in [
                b"Mon, 1 Jan 0001 00:00:00 GMT",
                b"Fri, 31 Dec 9999 23:59:59 GMT",
                b"Mon, 2 Apr 2007 -9223372036854775808:00 GMT",
                b"Mon, 2 Apr 2007 99:99:99 +9999",
                b"2007-04-02T19:18:42.123456789012345+99:99",
                b"0000-00-00",
                b"Mon, 31 Dec 1990 23:59:59 GMT",
                b"Sun, 22 Nov 2026 00:00:00 GMT",
            ]
        ),
        "update-date-far": good.replace(b"2008-11-26", b"9999-12-31"),
        "numbers": good.replace(b'"update_date"', b'"x": [1e999999999, -99999999999999999999999999, -0.0e-0], "update_date"'),
        "version-labels": good.replace(b'"v1"', b'"v99999999999999999999"'),
        "tex-deep": good.replace(b"Pavel Nadolsky", b"\\\\'{" * 80 + b"a" + b"}" * 80),
        "not-json": b"[1, 2]\n{}\n{\"id\": \n\"\n}}}\nnull\n",
        "long-line-then-good": b"x" * 600 + b"\n" + good + b"\n",
    }
    for name, data in hostile.items():
        write("snapshot", f"hostile-{name}.jsonl", data)


OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>2026-11-20T08:30:01Z</responseDate><ListRecords>"
)
OAI_TAIL = '<resumptionToken cursor="0" completeListSize="3">7083478|1001</resumptionToken></ListRecords></OAI-PMH>\n'


def raw_record(title="A title", date="Mon, 2 Nov 2026 10:00:00 GMT", extra=""):
    return (
        "<record><header><identifier>oai:arXiv.org:2511.00001</identifier><datestamp>2026-11-19</datestamp>"
        '</header><metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>2511.00001</id>'
        f'<submitter>Ann Lee</submitter><version version="v1"><date>{date}</date><size>10kb</size></version>'
        f"<title>{title}</title><authors>Ann Lee and Bob Ray</authors><categories>cs.LG</categories>{extra}"
        "<abstract>An abstract.</abstract></arXivRaw></metadata></record>"
    )


def oai():
    page = lambda records: OAI_HEAD + records + OAI_TAIL
    laughs = "".join(
        f'<!ENTITY l{n} "' + f"&l{n - 1};" * 10 + '">' for n in range(1, 10)
    )
    hostile = {
        "raw-page": page(raw_record() + raw_record(title="Second")),
        "deleted": page('<record><header status="deleted"><identifier>oai:arXiv.org:2511.00009</identifier>'
                        "</header></record>"),
        "error": OAI_HEAD.replace("<ListRecords>", "") + '<error code="badResumptionToken">expired</error></OAI-PMH>',
        "billion-laughs": '<?xml version="1.0"?><!DOCTYPE OAI-PMH [<!ENTITY l0 "lol">' + laughs + "]>"
        "<OAI-PMH><error code=\"x\">&l9;</error></OAI-PMH>",
        "external-entity": '<?xml version="1.0"?><!DOCTYPE OAI-PMH SYSTEM "file:///etc/passwd"><OAI-PMH/>',
        "entity-only": '<OAI-PMH><!ENTITY x "y"></OAI-PMH>',
        "deep": "<OAI-PMH>" + "<a>" * 300 + "</a>" * 300 + "</OAI-PMH>",
        "control-refs": page(raw_record(title="A&#x7F;&#x85;&#1;&#0;B")),
        "dates-far": page(
            raw_record(date="Mon, 1 Jan 0001 00:00:00 GMT")
            + raw_record(date="Fri, 31 Dec 9999 23:59:59 GMT")
            + raw_record(date="Mon, 2 Apr 2007 -9223372036854775808:00 GMT")
        ),
        "token-numbers": page(raw_record()).replace(
            'cursor="0" completeListSize="3"', 'cursor="-1" completeListSize="99999999999999999999999" '
            'expirationDate="9999-99-99T99:99:99Z"'
        ),
        "encoding-latin1": page(raw_record()).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'),
        "cdata": page(raw_record(title="<![CDATA[a <b> ]]> c]]>")),
        "many-versions": page(raw_record(extra='<version version="v2"><date>Tue, 3 Nov 2026 10:00:00 GMT</date>'
                                         "</version>" * 20)),
        "long-title": page(raw_record(title="t" * 3000)),
        "arxiv-format": OAI_HEAD + '<record><header><identifier>oai:arXiv.org:0704.0001</identifier></header>'
        '<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>0704.0001</id><created>2007-04-02</created>'
        "<updated>2099-07-24</updated><authors><author><keyname>Bal\\'{\\i}zs</keyname><forenames>C.</forenames>"
        "<suffix>Jr</suffix></author></authors><title>T</title></arXiv></metadata></record>" + OAI_TAIL,
    }
    for name, text in hostile.items():
        write("oai", f"hostile-{name}.xml", text)
    page_bytes = page(raw_record(title="Caf@")).encode()
    write("oai", "hostile-utf8-value.xml", page_bytes.replace(b"@", b"\xc3\x28\xff"))
    write("oai", "hostile-utf8-name.xml", page_bytes.replace(b"<title>", b"<ti\xfftle>", 1))
    write("oai", "hostile-nul.xml", page_bytes.replace(b"@", b"\x00"))
    write("oai", "hostile-utf16.xml", b"\xff\xfe" + page(raw_record()).encode("utf-16-le"))


ATOM_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom">'
)


def entry(id="http://arxiv.org/abs/2511.01234v2", published="2025-11-03T18:00:01Z", title="A title", name="Ann Lee"):
    return (
        f"<entry><id>{id}</id><updated>2025-11-12T09:30:00Z</updated><published>{published}</published>"
        f"<title>{title}</title><summary>Sum.</summary><author><name>{name}</name></author>"
        '<arxiv:primary_category term="cs.LG"/><category term="cs.LG"/><category term="cs.CL"/></entry>'
    )


def atom():
    feed = lambda entries: ATOM_HEAD + entries + "</feed>\n"
    hostile = {
        "two": feed(entry() + entry(id="http://arxiv.org/abs/hep-th/9901001v1")),
        "dates-far": feed(entry(published="0001-01-01T00:00:00Z") + entry(published="9999-12-31T23:59:59+23:59")),
        "version-huge": feed(entry(id="http://arxiv.org/abs/2511.01234v99999999999999999999")),
        "tex-name": feed(entry(name="\\'{\\'{\\'{a}}} {\\o} \\c{}")),
        "control-refs": feed(entry(title="A&#x85;B")),
        "doctype": '<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY x "y">]><feed>&x;</feed>',
        "deep": "<feed>" + "<entry>" * 300 + "</entry>" * 300 + "</feed>",
        "api-error": feed("<entry><id>http://arxiv.org/api/errors#x</id><summary>\x1b[31m bad</summary></entry>"),
        "many-categories": feed(entry().replace("</entry>", '<category term="a"/>' * 50 + "</entry>")),
    }
    for name, text in hostile.items():
        write("atom", f"hostile-{name}.xml", text)
    write("atom", "hostile-utf8.xml", feed(entry(title="Caf@")).encode().replace(b"@", b"\xe2\x28\xa1"))


def query():
    queries = {
        "filters": 'author:"Ann Lee" cat:cs.LG after:2020-01-01 before:2021 -excluded "exact phrase" prefix*',
        "months": "after:2020-13 before:0000-00-00 after:9999 before:-999 after:2020-1-1",
        "unterminated": '"unterminated author:"x -',
        "operators": "- : -: author: cat: -author:x AND OR NOT ( ) * ** -* \"\" -\"\"",
        "unicode": "Gödel Ĳ ﬁ 東京 ّ\u0301\u0301 \U0001F600 עברית \u200d\u202e",
        "controls": "a\x00b\x07c\x1b[31m\x7f\u0085",
        "long": "word " * 400,
        "colons": "a:b:c:d author::x cat:::",
        "stop-words": "the and of -the",
    }
    for name, text in queries.items():
        write("query", f"{name}.txt", text)
    write("query", "utf8-invalid.txt", b"caf\xc3\x28 \xff author:\xfe")


def tex():
    names = []
    for line in fixture_lines("arxiv-sample-200.jsonl", 200):
        record = json.loads(line)
        if "\\" in record["authors"] or "{" in record["authors"]:
            names.append(record["authors"])
    for index, name in enumerate(names[:20]):
        write("tex", f"sample-{index:02}.txt", name)
    hostile = {
        "accents": "\\'{\\i} \\\"{o} \\c{c} \\v{s} \\u{a} \\H{o} \\k{a} \\=a \\.z \\r{a} \\d{x} \\b{y} \\'\\j \\`e \\^o \\~n",
        "letters": "\\aa\\AA \\o{}\\O \\ss \\ae\\AE \\oe\\OE \\l\\L \\i\\j \\dh\\DH \\th\\TH \\ng\\NG",
        "deep": "{" * 500 + "a" + "}" * 500,
        "deep-accents": "\\'{" * 300 + "a" + "}" * 300,
        "unclosed": "\\'{\\\"{\\c{",
        "unbalanced": "}}}a{{{ \\'}",
        "unknown": "\\foo \\& \\_ \\  \\\\ \\",
        "authors": "A. Smith (MIT (CSAIL)), B. Jones, Jr., and C. Brown and and , , D",
        "controls": "A\x00B\x01\\'\x00 \\\x7f",
        "combining": "a\u0301\u0316\u0301\u0316\u0301\u0316 \\'{\u0301}",
    }
    for name, text in hostile.items():
        write("tex", f"hostile-{name}.txt", text)
    write("tex", "hostile-utf8.txt", b"Bal\\'\xc3azs \\'{\xff}")


def markdown():
    comments = {
        "plain": "Nice paper! I wonder how this compares to the baseline in Table 2.",
        "markup": "A *good* and **strong** point, with `code`, _more_ and __more__.\n\nSecond paragraph,\nline two.",
        "fence": "Try:\n```python\nx = a * b * c\nprint(\"<b>\")\n```\nafter the code",
        "fence-open": "```\nnever closed\n\nstill code",
        "links": "See [the repo](https://github.com/foo/bar), https://arxiv.org/abs/1706.03762. and "
        "(http://x.org/a_(b)_c), \\url{https://github.com/foo/bar}.",
        "tex": "We have $a*b*c$ and $$\\sum_{i<n} x_i^2$$, but $5 and $10 are money; \\$ is escaped.",
        "xss": "<script>alert(1)</script> <img src=x onerror=alert(1)> \"><svg onload=alert(1)> "
        "[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](data:text/html,<b>) [w](vbscript:x) "
        "[q](https://x.org/\"onmouseover=\"alert(1)) https://x.org/'onmouseover='x &amp; &#x3C;",
        "nested": "**a *b [c `d` $e$](https://x.org/(f)) g* h** *i **j* k**",
        "many-stars": "*" * 4000,
        "many-brackets": "[" * 2000 + "](https://x.org)" * 100,
        "many-dollars": "$a " * 1500,
        "many-backticks": "a" + "`" * 3000 + " ``b`` " * 100,
        "many-urls": "https://a.org.https://b.org(" * 150,
        "emphasis-runs": "*a " * 800 + "b* " * 800 + "_c_d_ " * 100,
        "controls": "a\x00b\x07c\x1b[31m\x7f\u0085\r\n\r\rd\te",
        "unicode": "Gödel’s “quotes” *ﬁ* ＊x＊ \u202eevil\u202c 東京 https://例え.jp/パス $\\alpha$",
    }
    for name, text in comments.items():
        write("markdown", f"{name}.md", text)
    write("markdown", "utf8-invalid.md", b"*caf\xc3\x28* [\xff](https://x.org/\xfe) $\xed\xa0\x80$")


if __name__ == "__main__":
    snapshot()
    oai()
    atom()
    query()
    tex()
    markdown()
    for target in sorted(os.listdir(SEEDS)):
        files = list((SEEDS / target).iterdir())
        print(f"{target}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")
