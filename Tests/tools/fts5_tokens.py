#!/usr/bin/env python3
"""Writes Tests/Fixtures/fts5-tokens.json: the terms SQLite FTS5 makes with
`tokenize = 'porter unicode61 remove_diacritics 2'` (the SQLite store's keyword index) for every title, author list
and abstract of the paper fixtures, for a list of tricky strings, and for 300 random ones (seeded, so the file is the
same on every run). KeywordTokenizerTests checks that KeywordTokenizer gives exactly these terms.

The terms are read back through an fts5vocab 'instance' table, in token order. A paper's terms are stored joined by
single spaces (no term holds a space), referring to the paper by file and id rather than repeating its text.

Usage: python3 Tests/tools/fts5_tokens.py   (from the repository root; stdlib only)
"""
import json
import os
import random
import sqlite3
import sys

from fts5_vocab import FTS5Terms

OUT = "Tests/Fixtures/fts5-tokens.json"
PAPER_FILES = ["arxiv-sample-200.jsonl", "seed-papers.jsonl"]
FIELDS = ["title", "authors", "abstract"]
TOKENIZE = "porter unicode61 remove_diacritics 2"

TRICKY = [
    # Porter's own examples and FTS5's variants of its rules.
    "caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated troubled sized hopping "
    "tanned falling hissing fizzed failing filing happy sky relational conditional rational valenci hesitanci "
    "digitizer conformabli radicalli differentli vileli analogousli vietnamization predication operator feudalism "
    "decisiveness hopefulness callousness formaliti sensitiviti sensibiliti triplicate formative formalize "
    "electriciti electrical hopeful goodness revival allowance inference airliner gyroscopic adjustable defensible "
    "irritant replacement adjustment dependent adoption homologou communism activate angulariti homologous "
    "effective bowdlerize probate rate cease controll roll generalization generalizations oscillators",
    "ies sses ss s es eed ed ing ying aed aing bed abled abbed hopped hoping filled fizzing yyyy eyes ays "
    "archaeology analogies analogy biology logi apologies sky skies flies dying lying tying spying",
    "is a an of it by to at in on be we as or if so do no up",
    # Folding and diacritics.
    "Ünïcödé naïve café résumé Ångström Å Ærø Œuvre Łódź Straße STRASSE ẞ ß Ĳ ĳ ŉ ſ K Ω µ ﬁnite ﬀ ﬆ",
    "İstanbul İ ı I Iı DİYARBAKIR ǅ Ǆ ǆ Ǉ",
    "ΣΊΣΥΦΟΣ Σίσυφος αβγ ΑΒΓ Ωmega ά ὰ ᾳ ᾼ",
    "Tiếng Việt Nguyễn Thị Minh Khai ĐẠI HỌC",
    "e\u0301te\u0301 cafe\u0301 \u0301abc a\u0301\u0302\u0303b \u0308",
    "Ⱥⱥ ȺȺȺ Ⱦ ɐⱯ",
    "Привет мир ЁЛКА ёлка Ђ Қазақ",
    "שָׁלוֹם עברית العربية ١٢٣ ۴۵۶",
    "हिन्दी भाषा ไทย ภาษา",
    "深度学习模型 日本語のテキスト カタカナ 한국어 텍스트 中文，标点。",
    "𐐀𐐨 𝐱𝐲 𝒪(n) 𝔽_2 ℝ^n ℕ",
    # Emoji, symbols, invisible characters.
    "😀emoji😀 🥰love 👍🏽 👩‍💻 🇫🇷 ✅ done ❤️ ☃",
    "a\u200bb a\u00adb a\u00a0b a\u2009b a\u200db a\ufeffb a\u2028b",
    "\ue000private \uf8ff \U000f0000",
    # TeX, numbers, punctuation.
    "$\\mathcal{O}(n^2)$ \\'{e}t\\'{e} e^{-x} \\alpha_{ij} \\textbf{bold} $x_1,\\dots,x_n$",
    "3.14 1e-5 10^{-3} 2,000 1990s 2000-2010 v1.2.3 0.5% x² ½ ① Ⅻ ⅻ",
    "state-of-the-art don't O'Brien rock’n’roll hyphen‐unicode non–trivial well—known",
    "C++ C# F# x_1 snake_case camelCase ALLCAPS GPT-4o BERT-base ResNet50 word2vec",
    "https://arxiv.org/abs/2101.00001 user@example.com #hashtag @mention",
    "",
    "--- !!! ... ~~~",
    "\t\n\r  tabs\tand\nnewlines\r\n",
    # Token lengths around the stemmer's limits (64 bytes), in ASCII and after folding.
    "ab abc abcs " + "x" * 60 + "ings " + "x" * 61 + "ings " + "a" * 64 + " " + "b" * 65 + "ing",
    # Ⱥ (2 bytes) folds to ⱥ (3 bytes): the limit counts the folded bytes.
    "a" + "Ⱥ" * 20 + "ing a" + "Ⱥ" * 21 + "ing " + "é" * 30 + "ing",
    # FTS5's stemmer cuts the last byte of 丸 (E4 B8 B8) after "-ing": the term is not valid UTF-8.
    "a丸ing a丸ed",
]

# Code point ranges the random strings draw from: ASCII, Latin with accents, combining marks, Greek, Cyrillic, Hebrew,
# Arabic, Devanagari, Vietnamese, symbols, CJK, Hangul, private use, ligatures, specials, Deseret, math letters,
# emoji, CJK extension B, tags, and the last planes (unassigned to FTS5's tables).
RANDOM_RANGES = [
    (0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF), (0x900, 0x97F),
    (0x1E00, 0x1FFF), (0x2000, 0x2BFF), (0x2C60, 0x2C7F), (0x3000, 0x30FF), (0x4E00, 0x4E80), (0xA640, 0xA7FF),
    (0xAC00, 0xAC40), (0xE000, 0xE010), (0xFB00, 0xFB4F), (0xFE00, 0xFFFF), (0x10400, 0x1044F), (0x1D400, 0x1D7FF),
    (0x1F300, 0x1FAFF), (0x20000, 0x20010), (0xE0000, 0xE007F), (0x10FFF0, 0x10FFFF),
]
SUFFIXES = ["", "ing", "ed", "es", "ies", "sses", "ation", "ational", "ness", "ly", "e", "al", "ize"]


def random_strings(words, count, seed):
    """Fixture words, changed and mixed with random characters and long runs, the same on every run."""
    rng = random.Random(seed)

    def character():
        low, high = rng.choice(RANDOM_RANGES)
        code = rng.randint(low, high)
        return "x" if 0xD800 <= code <= 0xDFFF else chr(code)

    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 12)):
            roll = rng.random()
            if roll < 0.5:
                word = rng.choice(words)
                word = word.upper() if rng.random() < 0.1 else word
                if rng.random() < 0.3:
                    cut = rng.randint(0, len(word))
                    word = word[:cut] + character() + word[cut:]
                parts.append(word)
            elif roll < 0.8:
                parts.append("".join(character() for _ in range(rng.randint(1, 6))))
            else:
                parts.append(rng.choice("aeyslz") * rng.randint(1, 70) + rng.choice(SUFFIXES))
        texts.append(rng.choice([" ", "", "-", "\u0301"]).join(parts))
    return texts


def main() -> None:
    terms = FTS5Terms(TOKENIZE).terms

    papers = []
    words = []
    for name in PAPER_FILES:
        with open(os.path.join("Tests/Fixtures", name), encoding="utf-8") as f:
            records = [json.loads(line) for line in f if line.strip()]
        texts = [record.get(field) or "" for record in records for field in FIELDS]
        words += [word for text in texts for word in text.split()]
        found = terms(texts)
        for index, record in enumerate(records):
            entry = {"file": name, "id": record["id"]}
            for offset, field in enumerate(FIELDS):
                entry[field] = " ".join(found[index * len(FIELDS) + offset])
            papers.append(entry)
    samples = TRICKY + random_strings(words, count=300, seed=13)
    strings = [{"text": text, "terms": found} for text, found in zip(samples, terms(samples))]
    fixture = {"sqlite": sqlite3.sqlite_version, "tokenize": TOKENIZE, "papers": papers, "strings": strings}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{OUT}: {len(papers)} papers, {len(strings)} strings (SQLite {sqlite3.sqlite_version})", file=sys.stderr)


if __name__ == "__main__":
    if not os.path.isdir("Tests/Fixtures"):
        sys.exit("run from the repository root")
    main()
