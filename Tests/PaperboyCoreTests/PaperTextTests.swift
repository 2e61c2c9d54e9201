import Foundation
import Testing

@testable import PaperboyCore

@Suite("What is read out of a paper's text")
struct PaperTextTests {
    static func paper(abstract: String, comments: String? = nil, versions: [String] = ["2026-11-02T10:00:00Z"])
        -> Paper
    {
        Paper(
            id: PaperID("2611.00001")!, title: "T", abstract: abstract, authors: ["A"], categories: ["cs.LG"],
            versions: versions.enumerated().map {
                PaperVersion(number: $0.offset + 1, submitted: Timestamp.parse($0.element)!)
            },
            comments: comments)
    }

    @Test(arguments: [
        (
            "Code is available at https://github.com/ML-GSAI/Revisiting-Dis-vs-Gen-Classifiers.",
            "https://github.com/ML-GSAI/Revisiting-Dis-vs-Gen-Classifiers"
        ),
        (#"Our code: \url{https://github.com/foo/bar}."#, "https://github.com/foo/bar"),
        ("(see github.com/Foo-Lab/my_repo.git), and more", "https://github.com/Foo-Lab/my_repo"),
        ("at http://www.GitHub.com/a/b.c/tree/main/src?x=1#y;", "https://github.com/a/b.c"),
        ("https://github.com/a/b?tab=readme-ov-file", "https://github.com/a/b"),
        ("https://github.com/a/b#usage", "https://github.com/a/b"),
        ("[https://github.com/a/b]", "https://github.com/a/b"),
        ("{github.com/a/b}", "https://github.com/a/b"),
        ("github.com/a/b.git.", "https://github.com/a/b"),
        (#"https://github.com/a/my\_repo\_v2"#, "https://github.com/a/my_repo_v2"),
        ("https://github.com/features/copilot and https://github.com/real/one", "https://github.com/real/one"),
        ("The account github.com/owner and the repo github.com/owner/repo.", "https://github.com/owner/repo"),
    ])
    func findsTheFirstRepository(text: String, repository: String) {
        #expect(GitHubRepository.first(in: text) == repository)
    }

    @Test(arguments: [
        "no link here", "https://github.com/owner", "https://github.com/owner.", "https://github.com/owner/",
        "https://github.com/owner/.git", "https://foo.github.io/bar", "https://gist.github.com/a/b",
        "https://api.github.com/repos/a/b", "notgithub.com/a/b", "https://github.community/a/b",
        "https://github.com/orgs/foo/repositories", "https://github.com/", "ftp://github.com/a/b",
    ])
    func ignoresWhatIsNotARepository(text: String) {
        #expect(GitHubRepository.first(in: text) == nil)
    }

    @Test func theAbstractComesBeforeTheComments() {
        let both = Self.paper(
            abstract: "Code at github.com/first/repo.", comments: "12 pages; code https://github.com/second/repo")
        #expect(both.foundGitHubRepository == "https://github.com/first/repo")
        let commentsOnly = Self.paper(abstract: "Nothing.", comments: "Code: https://github.com/second/repo")
        #expect(commentsOnly.foundGitHubRepository == "https://github.com/second/repo")
        #expect(Self.paper(abstract: "Nothing.", comments: nil).foundGitHubRepository == nil)
    }

    @Test func theWordWithdrawnIsFoundInAnyCaseAndAfterAFalseStart() {
        #expect(Paper.mentionsWithdrawn("This paper has been WITHDRAWN."))
        #expect(Paper.mentionsWithdrawn("withdrawithdrawn"))
        #expect(!Paper.mentionsWithdrawn("withdraw n"))
        #expect(!Paper.mentionsWithdrawn(""))
        let late = Self.paper(abstract: String(repeating: "é", count: 270) + " withdrawn by the author")
        #expect(late.isWithdrawn, "the word within the first 300 characters, past 300 bytes")
    }

    @Test func withdrawnAtIsTheLatestVersionsDate() {
        let withdrawn = Self.paper(
            abstract: "We propose.", comments: "This paper has been withdrawn by the author",
            versions: ["2026-10-01T09:00:00Z", "2026-11-05T12:30:00Z"])
        #expect(withdrawn.withdrawnAt == Timestamp.parse("2026-11-05T12:30:00Z"))
        let current = Self.paper(abstract: "We propose.", versions: ["2026-10-01T09:00:00Z", "2026-11-05T12:30:00Z"])
        #expect(current.withdrawnAt == nil)
    }

    @Test(arguments: [
        (
            "We study X, e.g. Yak. Our results (Smith et al. 2020) show gains. Fig. 3 shows it. The loss drops by 3.5 "
                + "points! Is it good? Yes.",
            [
                "We study X, e.g. Yak.", "Our results (Smith et al. 2020) show gains.", "Fig. 3 shows it.",
                "The loss drops by 3.5 points!", "Is it good?", "Yes.",
            ]
        ),
        (
            #"Let $x. Y$ be given. We bound $a \le b. C$ tightly. Then $$a. B$$ holds."#,
            ["Let $x. Y$ be given.", #"We bound $a \le b. C$ tightly."#, "Then $$a. B$$ holds."]
        ),
        ("Models (i.e. LLMs) are big. They are, cf. Eq. 2.", ["Models (i.e. LLMs) are big.", "They are, cf. Eq. 2."]),
        ("This is v2. it works.", ["This is v2. it works."]),
        (#"He said "stop." Then (we left.) Done"#, [#"He said "stop.""#, "Then (we left.)", "Done"]),
        ("Proposed by J. Smith. It works.", ["Proposed by J. Smith.", "It works."]),
        ("Code: https://github.com/a/b. Data too.", ["Code: https://github.com/a/b.", "Data too."]),
        ("We wait... Then go.", ["We wait...", "Then go."]),
        ("Context. Stars form. Aims. We model them.", ["Context. Stars form.", "Aims. We model them."]),
        (
            "As in Phys. Rev. Lett. 92, 1 (2004). We extend it.",
            ["As in Phys. Rev. Lett. 92, 1 (2004).", "We extend it."]
        ),
        (
            "A stray $ costs 5. " + String(repeating: "Then more. ", count: 20) + "End $x$.",
            ["A stray $ costs 5."] + Array(repeating: "Then more.", count: 20) + ["End $x$."]
        ),
        ("It costs $5. We pay.", ["It costs $5.", "We pay."]),
        ("  ", []),
        (
            "In this paper, we uncover a systematic bias in the evaluation paradigm of adopting large language "
                + "models~(LLMs), e.g., GPT-4, as a referee. We find that the quality ranking can be hacked.",
            [
                "In this paper, we uncover a systematic bias in the evaluation paradigm of adopting large language "
                    + "models~(LLMs), e.g., GPT-4, as a referee.",
                "We find that the quality ranking can be hacked.",
            ]
        ),
    ])
    func sentences(text: String, sentences: [String]) {
        #expect(KeySentence.sentences(of: text) == sentences)
        // Reading stops after the sentences asked for, with the same sentences.
        for limit in 1...2 {
            #expect(KeySentence.sentences(of: text, atMost: limit) == Array(sentences.prefix(limit)))
        }
        #expect(KeySentence.first(of: text) == KeySentence.shortened(sentences.first ?? ""))
    }

    @Test func theFirstSentenceIsCutAtAWord() {
        #expect(KeySentence.first(of: "Short one. Second.") == "Short one.")
        #expect(KeySentence.first(of: "") == "")
        let words = String(repeating: "abcdefghij ", count: 40)
        let cut = KeySentence.first(of: words)
        #expect(cut == Array(repeating: "abcdefghij", count: 27).joined(separator: " ") + "…")
        #expect(cut.count == 297)
        let exact = String(repeating: "word ", count: 100)
        #expect(KeySentence.first(of: exact) == Array(repeating: "word", count: 60).joined(separator: " ") + "…")
        #expect(KeySentence.first(of: exact).count == 300)
        let math = String(repeating: "x ", count: 140) + "$a b c d e f g h i j k l m n$ end."
        #expect(KeySentence.first(of: math) == Array(repeating: "x", count: 140).joined(separator: " ") + "…")
        let oneWord = String(repeating: "x", count: 400)
        #expect(KeySentence.first(of: oneWord) == String(repeating: "x", count: 299) + "…")
        let three = String(repeating: "a", count: 300)
        #expect(KeySentence.first(of: three) == three, "300 characters fit")
    }
}
