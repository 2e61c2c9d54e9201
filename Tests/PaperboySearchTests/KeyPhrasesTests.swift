import Foundation
import PaperboyCore
import Testing

@testable import PaperboySearch

@Suite("Key sentence and keywords")
struct KeyPhrasesTests {
    static let title = "Attention Is All You Need"
    static let abstract =
        "The dominant sequence transduction models are based on complex recurrent or convolutional neural networks. "
        + "We propose a new network architecture, the Transformer, based solely on attention mechanisms. Experiments on "
        + "two machine translation tasks show these models to be superior in quality ($p < 0.05$), e.g. on WMT 2014."

    @Test func candidatesArePhrasesBetweenStopWordsAndPunctuation() {
        let candidates = KeyPhraseExtractor.candidates(title: Self.title, abstract: Self.abstract)
        #expect(
            candidates.map(\.text) == [
                "attention", "dominant sequence transduction", "sequence transduction models", "models",
                "convolutional neural networks", "dominant sequence", "sequence transduction", "transduction models",
                "complex recurrent", "convolutional neural", "neural networks", "network architecture",
                "attention mechanisms", "machine translation", "dominant", "sequence", "transduction", "complex",
                "recurrent", "convolutional", "neural", "networks", "network", "architecture",
            ])
        let attention = candidates.first { $0.key == "attention" }
        #expect(attention?.count == 2 && attention?.inTitle == true && attention?.weight == 4)
        #expect(
            candidates.first { $0.key == "sequence transduction models" }?.stems == [
                "sequence", "transduction", "model",
            ])
        #expect(KeyPhraseExtractor.candidates(title: "", abstract: "We are the first. Of 2014, 12.5%.").isEmpty)
        let limited = KeyPhraseExtractor.candidates(title: Self.title, abstract: Self.abstract, limit: 3)
        #expect(limited.map(\.text) == ["attention", "dominant sequence transduction", "sequence transduction models"])
    }

    @Test func wordsAreWrittenAsInTheText() {
        let candidates = KeyPhraseExtractor.candidates(
            title: "Re-Ranking With GPT-4 Helps", abstract: "Re-Ranking with GPT-4 is cheap. We study re-ranking.")
        #expect(Set(candidates.map(\.text)) == ["re-ranking", "GPT-4", "cheap"], "helps is a stop word")
        #expect(
            KeyPhraseExtractor.segments(#"A $x. y$ b~c \textbf{d}e-f -g"#, inTitle: false).map { $0.map(\.text) } == [
                ["A"], ["b", "c"], ["d"], ["e-f"], ["g"],
            ])
    }

    /// Unit vectors in 4 dimensions; the paper's embedding is the first axis.
    static func unit(_ values: [Float]) -> [Float] {
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { $0 / norm }
    }

    static func candidate(_ text: String) -> KeyPhraseExtractor.Candidate {
        let words = text.split(separator: " ").map(String.init)
        return KeyPhraseExtractor.Candidate(
            key: text, text: text, stems: words.map(KeyPhraseExtractor.singular), count: 1, inTitle: false, first: 0)
    }

    @Test func keywordsAreTheMostRelevantWithoutNearDuplicates() {
        let embedding = Self.unit([1, 0, 0, 0])
        let candidates: [(String, [Float])] = [
            ("language models", [0.9, 0.3, 0, 0]), ("language model", [0.85, 0, 0.3, 0]),
            ("large language models", [0.84, 0, 0, 0.3]), ("retrieval", [0.8, -0.5, 0, 0]),
            ("near copy of retrieval", [0.79, -0.52, 0, 0]), ("ranking", [0.7, 0, -0.6, 0]),
            ("evaluation", [0.7, 0, 0, -0.6]), ("benchmarks", [0.7, 0.1, 0.1, 0.6]),
            ("metrics", [0.5, -0.2, 0.7, 0.3]), ("noise", [0.2, 0.9, 0, 0]),
        ]
        let keywords = KeyPhraseExtractor.keywords(
            candidates.map { Self.candidate($0.0) }, vectors: candidates.map { Self.unit($0.1) }, embedding: embedding)
        // "language model" and "large language models" hold "language models"' words; the near copy's cosine to
        // "retrieval" is above 0.8; after three, "metrics" (0.54) is below 0.7 of the best (0.95).
        #expect(keywords == ["language models", "retrieval", "evaluation", "ranking", "benchmarks"], "equal: by key")
        // Seven relevant candidates, no two near-duplicates: six are kept.
        var spread: [[Float]] = [[1, 0, 0, 0]]
        for axis in 1...3 {
            for sign: Float in [1, -1] {
                var vector: [Float] = [0.75, 0, 0, 0]
                vector[axis] = sign * 0.66
                spread.append(Self.unit(vector))
            }
        }
        let spreadKeywords = KeyPhraseExtractor.keywords(
            spread.indices.map { Self.candidate("word\($0)") }, vectors: spread, embedding: embedding)
        #expect(spreadKeywords == ["word0", "word1", "word2", "word3", "word4", "word5"])
        #expect(KeyPhraseExtractor.keywords([], vectors: [], embedding: embedding).isEmpty)
    }

    static func fixturePapers(_ ids: [String]) throws -> [String: (title: String, abstract: String)] {
        let url = ModelTestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/seed-papers.jsonl")
        var papers: [String: (title: String, abstract: String)] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let id = object["id"] as? String, ids.contains(id), let title = object["title"] as? String,
                let abstract = object["abstract"] as? String
            else { continue }
            let clean = { (text: String) in text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
            papers[id] = (clean(title), clean(abstract))
        }
        return papers
    }

    /// What any paper's key phrases must be: the key sentence one of the abstract's, whole; 3 to 6 keywords, each
    /// in the title or abstract, none a duplicate or a part of another.
    static func checkSensible(_ result: KeyPhrases, title: String, abstract: String) {
        let sentences = KeySentence.sentences(of: abstract)
        #expect(sentences.contains(result.summary), "\(title): \(result.summary)")
        #expect(result.summary.count <= KeySentence.maxLength)
        #expect((3...6).contains(result.keywords.count), "\(title): \(result.keywords)")
        let text = (title + " " + abstract).lowercased()
        for keyword in result.keywords {
            #expect(text.contains(keyword.lowercased()), "\(title): \(keyword)")
        }
        let keys = result.keywords.map { $0.lowercased() }
        #expect(Set(keys).count == keys.count)
        for (index, key) in keys.enumerated() {
            for other in keys[(index + 1)...] {
                #expect(!key.contains(other) && !other.contains(key), "\(title): \(key) / \(other)")
            }
        }
    }

    static let realIDs = ["2207.90001", "2403.90001", "2509.90001", "1604.90001"]

    @Test("real abstracts, from stored embeddings: a sentence of the abstract, 3 to 6 keywords of the text")
    func realAbstracts() async throws {
        let embedder = try ModelTestSupport.embedder()
        let fixtures = try Self.fixturePapers(Self.realIDs)
        #expect(fixtures.count == Self.realIDs.count)
        var papers: [KeyPhraseExtractor.Paper] = []
        for id in Self.realIDs {
            guard let (title, abstract) = fixtures[id] else { continue }
            let embedding = try await embedder.embed(EmbeddingJob.text(title: title, abstract: abstract))
            papers.append(KeyPhraseExtractor.Paper(title: title, abstract: abstract, embedding: embedding))
        }
        let results = try await KeyPhraseExtractor.keyPhrases(for: papers, embedder: embedder)
        #expect(results.count == papers.count)
        for (paper, result) in zip(papers, results) {
            Self.checkSensible(result, title: paper.title, abstract: paper.abstract)
        }
        // The paper about calibration: its keywords are about language models and self-evaluation.
        let first = try #require(results.first)
        #expect(first.keywords.contains("language models"), "\(first.keywords)")
        #expect(first.keywords.contains { $0.contains("self-evaluation") }, "\(first.keywords)")
    }

    @Test("real abstracts, embedded in the same pass: the same embeddings, sensible key phrases")
    func realAbstractsInOnePass() async throws {
        let embedder = try ModelTestSupport.embedder()
        let fixtures = try Self.fixturePapers(Self.realIDs)
        let papers = Self.realIDs.compactMap { fixtures[$0] }
        let results = try await KeyPhraseExtractor.embedWithKeyPhrases(papers, embedder: embedder)
        let alone = try await embedder.embed(papers.map { EmbeddingJob.text(title: $0.title, abstract: $0.abstract) })
        #expect(results.count == papers.count)
        for (index, paper) in papers.enumerated() {
            #expect(ModelTestSupport.maxAbsDifference(results[index].embedding, alone[index]) < 1e-5)
            Self.checkSensible(results[index].keyPhrases, title: paper.title, abstract: paper.abstract)
        }
        let first = try #require(results.first?.keyPhrases)
        #expect(first.keywords.contains("language models"), "\(first.keywords)")
        #expect(try await KeyPhraseExtractor.embedWithKeyPhrases([], embedder: embedder).isEmpty)
    }

    @Test("every fixture abstract's sentences line up with the paper's tokens")
    func sentencesLineUpWithTokens() throws {
        let embedder = try ModelTestSupport.embedder()
        var checked = 0
        for name in ["seed-papers.jsonl", "arxiv-sample-200.jsonl"] {
            let url = ModelTestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/" + name)
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let title = object["title"] as? String, let abstract = object["abstract"] as? String
                else { continue }
                let sentences = KeySentence.sentences(of: abstract)
                let ids = embedder.tokenize(EmbeddingJob.text(title: title, abstract: abstract))
                let spans = KeyPhraseExtractor.sentenceSpans(of: sentences, title: title, in: ids, embedder: embedder)
                #expect(spans?.count == sentences.count, "\(object["id"] ?? "")")
                #expect(spans?.first?.isEmpty == false, "\(object["id"] ?? "")")
                checked += 1
            }
        }
        #expect(checked == 286)
        let title = "Counting"
        let long = (1...50).map { "Sentence number \($0) is here." }
        let ids = embedder.tokenize(EmbeddingJob.text(title: title, abstract: long.joined(separator: " ")))
        let spans = try #require(KeyPhraseExtractor.sentenceSpans(of: long, title: title, in: ids, embedder: embedder))
        #expect(spans[0] == 3..<9, "[CLS] counting . sentence number 1 is here .")
        #expect(spans.filter(\.isEmpty).count == 8, "6 tokens each: 42 fit before the [SEP] at 255")
        #expect(
            KeyPhraseExtractor.sentenceSpans(of: ["Other words."], title: title, in: ids, embedder: embedder) == nil)
    }

    @Test("a span's vector is the mean of its token states: over all tokens, the text's embedding")
    func spanVectors() async throws {
        let embedder = try ModelTestSupport.embedder()
        let texts = ["Sparse attention for long documents.", "Graph neural networks learn molecular properties."]
        let tokenized = texts.map(embedder.tokenize)
        let results = try await embedder.embed(
            tokenized: tokenized, spans: [[0..<tokenized[0].count, 3..<3, 1..<3], [0..<1_000, 2..<4]])
        let alone = try await embedder.embed(texts)
        for index in texts.indices {
            #expect(ModelTestSupport.maxAbsDifference(results[index].embedding, alone[index]) < 1e-5)
            #expect(ModelTestSupport.maxAbsDifference(results[index].spans[0], alone[index]) < 1e-5)
        }
        #expect(results[0].spans[1].isEmpty)
        #expect(results[0].spans[2].count == 384)
        #expect(abs(ModelTestSupport.cosine(results[0].spans[2], results[1].spans[1])) < 0.99)
    }

    @Test("one sentence needs no choice; an empty abstract has an empty key sentence")
    func shortAbstracts() async throws {
        let embedder = try ModelTestSupport.embedder()
        let abstract = "Graph neural networks learn molecular properties from atom and bond features."
        let title = "Molecular graph networks"
        let embedding = try await embedder.embed(EmbeddingJob.text(title: title, abstract: abstract))
        let results = try await KeyPhraseExtractor.keyPhrases(
            for: [
                KeyPhraseExtractor.Paper(title: title, abstract: abstract, embedding: embedding),
                KeyPhraseExtractor.Paper(title: "Sparse attention", abstract: "", embedding: embedding),
            ], embedder: embedder)
        #expect(results[0].summary == abstract)
        #expect((3...6).contains(results[0].keywords.count), "\(results[0].keywords)")
        #expect(results[1].summary == "")
        #expect(Set(results[1].keywords).isSubset(of: ["sparse attention", "sparse", "attention"]))
        #expect(try await KeyPhraseExtractor.keyPhrases(for: [], embedder: embedder).isEmpty)
    }
}
