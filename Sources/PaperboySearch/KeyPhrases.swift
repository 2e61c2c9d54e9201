import Foundation
import PaperboyCore

/// A paper's key sentence and keywords, chosen with the sentence embedding model and no language model (what
/// Hugging Face's paper API calls `ai_summary` and `ai_keywords`).
public struct KeyPhrases: Sendable, Hashable {
    /// The abstract's sentence closest to the paper's embedding, at most `KeySentence.maxLength` characters.
    public var summary: String
    /// Three to six phrases of the title and abstract closest to the paper's embedding, most relevant first, without
    /// near-duplicates (fewer only when the text has fewer candidates).
    public var keywords: [String]

    public init(summary: String, keywords: [String]) {
        self.summary = summary
        self.keywords = keywords
    }
}

/// Chooses ``KeyPhrases`` with the sentence embedding model.
///
/// The key sentence is the abstract's sentence (`KeySentence.sentences(of:)`, the first ``maxSentences``) whose
/// vector is closest (cosine) to the paper's embedding, among those short enough to show whole
/// (`KeySentence.maxLength`) if there are any; an abstract of one sentence needs no vector.
///
/// Keyword candidates are the title's and abstract's phrases of one to three words that do not cross punctuation
/// or TeX, neither start nor end with a stop word or a number, and have no stop word inside but "of"; the
/// ``maxCandidates`` most frequent (a phrase of more words and one in the title count more) are embedded, and the
/// closest to the paper's embedding are taken in order, skipping one whose cosine to a phrase already taken is above
/// ``duplicateCosine`` or whose words (singular) are inside a taken phrase's or the other way round, until
/// ``maxKeywords``, or until one is less relevant than ``relevanceFloor`` times the best once ``minKeywords`` are
/// taken.
///
/// Two ways, by cost:
/// - ``embedWithKeyPhrases(_:embedder:)`` embeds the papers themselves and takes each sentence's vector from that
///   same forward pass (the mean of the encoder's last token states over the sentence's tokens, as the paper's
///   embedding is their mean over all its tokens), so only the short keyword candidates cost a forward pass of their
///   own: 0.2 to 0.5 times the cost of embedding the papers, on top of it (`paperboy-embed-bench`). Sentences past
///   the model's 256 tokens (which the paper's embedding does not see either) are not candidates.
/// - ``keyPhrases(for:embedder:)`` starts from stored embeddings and embeds every sentence on its own as well:
///   1.1 to 1.5 times the cost of embedding the papers.
///
/// Either way every paper's short texts of a call are embedded together so that batches fill.
public enum KeyPhraseExtractor {
    /// Most keyword candidates embedded per paper.
    public static let maxCandidates = 24
    /// Most sentences compared per paper (the first ones).
    public static let maxSentences = 20
    public static let minKeywords = 3
    public static let maxKeywords = 6
    /// Candidates whose embeddings are closer than this to a chosen keyword's are near-duplicates.
    public static let duplicateCosine: Float = 0.8
    /// After ``minKeywords``, a candidate less relevant than this fraction of the best one ends the list.
    public static let relevanceFloor: Float = 0.7

    /// A paper's text and its embedding (of `EmbeddingJob.text(title:abstract:)`, L2-normalised).
    public struct Paper: Sendable {
        public var title: String
        public var abstract: String
        public var embedding: [Float]

        public init(title: String, abstract: String, embedding: [Float]) {
            self.title = title
            self.abstract = abstract
            self.embedding = embedding
        }
    }

    /// A paper's embedding (of `EmbeddingJob.text(title:abstract:)`, exactly as `SentenceEmbedder.embed` gives it)
    /// and its key phrases.
    public struct Embedded: Sendable {
        public var embedding: [Float]
        public var keyPhrases: KeyPhrases
    }

    /// Embeds each paper's `EmbeddingJob.text(title:abstract:)` and chooses its key phrases, the sentences' vectors
    /// coming from the same forward pass; the keyword candidates of all the papers are embedded together. Throws
    /// what `embedder` throws (cancellation included).
    public static func embedWithKeyPhrases(_ papers: [(title: String, abstract: String)], embedder: SentenceEmbedder)
        async throws -> [Embedded]
    {
        var plans = papers.map { plan(title: $0.title, abstract: $0.abstract) }
        var tokenized: [[Int32]] = []
        var spans: [[Range<Int>]] = []
        var separate: [String] = []
        for (index, paper) in papers.enumerated() {
            let ids = embedder.tokenize(EmbeddingJob.text(title: paper.title, abstract: paper.abstract))
            tokenized.append(ids)
            let sentences = plans[index].sentences
            let sentenceSpans =
                sentences.count > 1
                ? self.sentenceSpans(of: sentences, title: paper.title, in: ids, embedder: embedder) : []
            if let sentenceSpans {
                spans.append(sentenceSpans)
            } else {
                // The tokens did not line up: the sentences get vectors of their own.
                spans.append([])
                plans[index].separateSentences = separate.count
                separate += plans[index].sentences
            }
            plans[index].candidateStart = separate.count
            separate += plans[index].candidates.map(\.text)
        }
        let embedded = try await embedder.embed(tokenized: tokenized, spans: spans)
        let vectors = try await embedder.embed(separate)
        return zip(plans, embedded).map { plan, paper in
            var sentenceVectors: [[Float]?] = paper.spans.map { $0.isEmpty ? nil : $0 }
            if let start = plan.separateSentences {
                sentenceVectors = plan.sentences.indices.map { vectors[start + $0] }
            }
            return Embedded(
                embedding: paper.embedding,
                keyPhrases: choose(plan, sentenceVectors: sentenceVectors, vectors: vectors, embedding: paper.embedding)
            )
        }
    }

    /// The key phrases of papers whose embeddings are known, in order: every paper's sentences and keyword candidates
    /// are embedded in one call to `embedder` (background work). Throws what it throws (cancellation included).
    public static func keyPhrases(for papers: [Paper], embedder: any TextEmbedder) async throws -> [KeyPhrases] {
        var texts: [String] = []
        var plans: [Plan] = []
        for paper in papers {
            var plan = self.plan(title: paper.title, abstract: paper.abstract)
            if plan.sentences.count > 1 {
                plan.separateSentences = texts.count
                texts += plan.sentences
            }
            plan.candidateStart = texts.count
            texts += plan.candidates.map(\.text)
            plans.append(plan)
        }
        let vectors = try await embedder.embed(texts)
        return zip(papers, plans).map { paper, plan in
            let sentenceVectors = plan.separateSentences.map { start in
                plan.sentences.indices.map { vectors[start + $0] }
            }
            return choose(plan, sentenceVectors: sentenceVectors ?? [], vectors: vectors, embedding: paper.embedding)
        }
    }

    /// What is embedded for a paper, and where its vectors are.
    struct Plan {
        var sentences: [String]
        var candidates: [Candidate]
        /// Where the sentences' own vectors start, when they have vectors of their own.
        var separateSentences: Int?
        /// Where the candidates' vectors start.
        var candidateStart = 0
    }

    static func plan(title: String, abstract: String) -> Plan {
        Plan(
            sentences: Array(KeySentence.sentences(of: abstract).prefix(maxSentences)),
            candidates: candidates(title: title, abstract: abstract))
    }

    /// The token positions of each sentence in `ids` (the tokens of the paper's `EmbeddingJob.text`), empty for one
    /// cut off by the model's length; nil when the sentences' tokens do not make up the text's (never expected:
    /// sentences are split at whitespace, where tokens end).
    static func sentenceSpans(of sentences: [String], title: String, in ids: [Int32], embedder: SentenceEmbedder)
        -> [Range<Int>]?
    {
        func bare(_ text: String) -> [Int32] {
            Array(embedder.tokenizer.encode(text, maxLength: Int.max).dropFirst().dropLast())
        }
        // ids: [CLS], the title's tokens and ".", the abstract's, [SEP]; cut to the model's length.
        let end = ids.count - 1
        var position = 1
        var spans: [Range<Int>] = []
        for (index, text) in ([title + "."] + sentences).enumerated() {
            let tokens = bare(text)
            let stop = position + tokens.count
            let visible = min(stop, end)
            if position < visible, !ids[position..<visible].elementsEqual(tokens.prefix(visible - position)) {
                return nil
            }
            if index > 0 { spans.append(stop <= end ? position..<stop : position..<position) }
            position = stop
        }
        return spans
    }

    /// The key phrases of a paper from the vectors of its sentences (nil for one without) and candidates.
    static func choose(_ plan: Plan, sentenceVectors: [[Float]?], vectors: [[Float]], embedding: [Float]) -> KeyPhrases
    {
        var summary = plan.sentences.first ?? ""
        let withVectors = plan.sentences.indices.filter { $0 < sentenceVectors.count && sentenceVectors[$0] != nil }
        if plan.sentences.count > 1, !withVectors.isEmpty {
            // Sentences short enough to show whole, when there are any.
            let fitting = withVectors.filter { plan.sentences[$0].count <= KeySentence.maxLength }
            let indices = fitting.isEmpty ? withVectors : fitting
            let best = closest(indices.map { sentenceVectors[$0] ?? [] }, to: embedding)
            summary = plan.sentences[indices[best]]
        }
        let candidateVectors = Array(vectors[plan.candidateStart..<(plan.candidateStart + plan.candidates.count)])
        return KeyPhrases(
            summary: KeySentence.shortened(summary),
            keywords: keywords(plan.candidates, vectors: candidateVectors, embedding: embedding))
    }

    /// The index of the vector with the largest dot product with `target` (the first on a tie).
    static func closest(_ vectors: [[Float]], to target: [Float]) -> Int {
        var best = 0
        var bestScore = -Float.infinity
        for (index, vector) in vectors.enumerated() {
            let score = dot(vector, target)
            if score > bestScore {
                best = index
                bestScore = score
            }
        }
        return best
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var sum: Float = 0
        for index in 0..<min(a.count, b.count) { sum += a[index] * b[index] }
        return sum
    }

    /// The keywords among `candidates` (with their embeddings), as described on ``KeyPhraseExtractor``.
    static func keywords(_ candidates: [Candidate], vectors: [[Float]], embedding: [Float]) -> [String] {
        let relevance = vectors.map { dot($0, embedding) }
        let order = candidates.indices.sorted {
            relevance[$0] != relevance[$1] ? relevance[$0] > relevance[$1] : candidates[$0].key < candidates[$1].key
        }
        var chosen: [Int] = []
        for index in order {
            if chosen.count == maxKeywords { break }
            if let best = chosen.first, chosen.count >= minKeywords, relevance[index] < relevanceFloor * relevance[best]
            {
                break
            }
            let duplicate = chosen.contains { other in
                dot(vectors[index], vectors[other]) > duplicateCosine
                    || contains(candidates[index].stems, candidates[other].stems)
                    || contains(candidates[other].stems, candidates[index].stems)
            }
            if !duplicate { chosen.append(index) }
        }
        return chosen.map { candidates[$0].text }
    }

    /// Whether `part` occurs in `whole` as consecutive words.
    static func contains(_ whole: [String], _ part: [String]) -> Bool {
        guard !part.isEmpty, part.count <= whole.count else { return false }
        return (0...(whole.count - part.count)).contains { Array(whole[$0..<($0 + part.count)]) == part }
    }
}

extension KeyPhraseExtractor {
    /// A keyword candidate: a phrase of one to three words and where it occurs.
    struct Candidate: Hashable {
        /// The words lowercased, joined by spaces.
        var key: String
        /// As it is written (see ``candidates(title:abstract:)``).
        var text: String
        /// The words lowercased and made singular, for spotting near-duplicates.
        var stems: [String]
        var count: Int
        var inTitle: Bool
        /// The first occurrence, in words from the start of the title.
        var first: Int

        /// How strongly the text suggests the phrase: occurrences, more for longer phrases, and a title bonus.
        var weight: Double { Double(count) * (1 + 0.5 * Double(stems.count - 1)) + (inTitle ? 2 : 0) }
    }

    /// A word of the text, as written, and whether it opens a sentence (or the title).
    struct Word {
        var text: String
        var lowercased: String
        var opensSentence: Bool
        var inTitle: Bool
    }

    /// The candidates of a paper, by ``Candidate/weight`` (then first occurrence), at most ``maxCandidates``.
    /// A candidate is written as it most often is where case carries meaning (not opening a sentence, not in the
    /// title, which is in title case); else as first seen with capitalised words lowercased ("Transformer" →
    /// "transformer"; "GPT-4", "LLMs" and "BERT" stay).
    static func candidates(title: String, abstract: String, limit: Int = maxCandidates) -> [Candidate] {
        var byKey: [String: Candidate] = [:]
        var forms: [String: [String: Int]] = [:]
        var position = 0
        for segment in segments(title, inTitle: true) + segments(abstract, inTitle: false) {
            for start in segment.indices {
                for length in 1...3 where start + length <= segment.count {
                    let words = segment[start..<(start + length)]
                    guard let first = words.first, let last = words.last, canEndPhrase(first), canEndPhrase(last),
                        length < 3 || canBeInsidePhrase(words[start + 1])
                    else { continue }
                    let key = words.map(\.lowercased).joined(separator: " ")
                    let written = words.map(\.text).joined(separator: " ")
                    if var candidate = byKey[key] {
                        candidate.count += 1
                        candidate.inTitle = candidate.inTitle || first.inTitle
                        byKey[key] = candidate
                    } else {
                        let text = words.map { lowercasedIfCapitalised($0.text) }.joined(separator: " ")
                        byKey[key] = Candidate(
                            key: key, text: text, stems: words.map { singular($0.lowercased) }, count: 1,
                            inTitle: first.inTitle, first: position + start)
                    }
                    if !first.inTitle, !first.opensSentence { forms[key, default: [:]][written, default: 0] += 1 }
                }
            }
            position += segment.count
        }
        var candidates = Array(byKey.values)
        for index in candidates.indices {
            if let form = forms[candidates[index].key]?.max(by: {
                $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key
            }) {
                candidates[index].text = form.key
            }
        }
        candidates.sort { $0.weight != $1.weight ? $0.weight > $1.weight : $0.first < $1.first }
        return Array(candidates.prefix(limit))
    }

    /// How many keyword candidates a paper has, up to ``maxCandidates`` (what ``keyPhrases(for:embedder:)`` embeds).
    public static func candidateCount(title: String, abstract: String) -> Int {
        candidates(title: title, abstract: abstract).count
    }

    /// A word may start or end a phrase: two characters or more, a letter in it, not a stop word.
    static func canEndPhrase(_ word: Word) -> Bool {
        word.lowercased.count >= 2 && word.lowercased.contains(where: \.isLetter)
            && !stopWords.contains(word.lowercased)
    }

    /// The middle word of three: any but a stop word other than "of" ("bag of tricks", "mixture of experts").
    static func canBeInsidePhrase(_ word: Word) -> Bool {
        word.lowercased == "of" || !stopWords.contains(word.lowercased)
    }

    /// "Transformer" → "transformer", "Re-Ranking" → "re-ranking"; words with other capitals ("GPT-4", "LLMs",
    /// "BERT", "RevThink") unchanged.
    static func lowercasedIfCapitalised(_ word: String) -> String {
        word.split(separator: "-", omittingEmptySubsequences: false).map { part in
            guard let first = part.first, first.isUppercase, !part.dropFirst().contains(where: \.isUppercase) else {
                return String(part)
            }
            return part.lowercased()
        }.joined(separator: "-")
    }

    /// English plural to singular, roughly ("models" → "model", "studies" → "study"; "loss" and "analysis" kept).
    static func singular(_ word: String) -> String {
        if word.hasSuffix("ies"), word.count > 4 { return String(word.dropLast(3)) + "y" }
        if word.hasSuffix("s"), !word.hasSuffix("ss"), !word.hasSuffix("is"), !word.hasSuffix("us"), word.count > 3 {
            return String(word.dropLast())
        }
        return word
    }

    /// The runs of words between punctuation, TeX and TeX commands. Words are letters and digits, with inner
    /// hyphens ("fine-tuning", "GPT-4"); `~` is a space.
    static func segments(_ text: String, inTitle: Bool) -> [[Word]] {
        let scalars = Array(text.unicodeScalars)
        let math = KeySentence.mathMask(scalars)
        var segments: [[Word]] = []
        var segment: [Word] = []
        var word = String.UnicodeScalarView()
        var opensSentence = true
        func endWord() {
            guard !word.isEmpty else { return }
            let text = String(word)
            segment.append(
                Word(text: text, lowercased: text.lowercased(), opensSentence: opensSentence, inTitle: inTitle))
            opensSentence = false
            word.removeAll()
        }
        func endSegment() {
            endWord()
            if !segment.isEmpty { segments.append(segment) }
            segment.removeAll()
        }
        func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isAlphabetic || scalar.properties.numericType != nil
        }
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            defer { index += 1 }
            if math[index] {
                endSegment()
            } else if isWordScalar(scalar) {
                word.append(scalar)
            } else if scalar == "-", !word.isEmpty, index + 1 < scalars.count, isWordScalar(scalars[index + 1]) {
                word.append(scalar)
            } else if scalar.properties.isWhitespace || scalar == "~" {
                endWord()
            } else if scalar == "\\" {
                endSegment()
                while index + 1 < scalars.count, scalars[index + 1].properties.isAlphabetic { index += 1 }
            } else {
                endSegment()
                if [".", "!", "?"].contains(scalar) { opensSentence = true }
            }
        }
        endSegment()
        return segments
    }

    /// Words that neither start nor end a keyword: English function words and the words every abstract uses.
    static let stopWords: Set<String> = [
        "a", "about", "above", "across", "after", "again", "against", "all", "almost", "along", "also", "although",
        "always", "among", "an", "and", "another", "any", "are", "around", "as", "at", "be", "because", "been",
        "before", "being", "below", "between", "both", "but", "by", "can", "cannot", "could", "did", "do", "does",
        "doing", "done", "down", "due", "during", "each", "either", "else", "enough", "etc", "even", "ever", "every",
        "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his",
        "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "least", "less", "like",
        "many", "may", "me", "might", "more", "most", "much", "must", "my", "neither", "no", "nor", "not", "now", "of",
        "off", "often", "on", "once", "one", "only", "or", "other", "others", "otherwise", "our", "ours", "out",
        "over", "own", "per", "rather", "same", "several", "she", "should", "since", "so", "some", "still", "such",
        "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "thereby", "therefore",
        "these", "they", "this", "those", "though", "through", "thus", "to", "too", "toward", "towards", "under",
        "until", "up", "upon", "us", "very", "via", "was", "we", "were", "what", "whether", "when", "where", "which",
        "while", "who", "whom", "whose", "why", "will", "with", "within", "without", "would", "yet", "you", "your",
        // What every abstract says.
        "able", "achieve", "achieved", "achieves", "achieving", "allow", "allows", "approach", "approaches", "based",
        "better", "called", "cf", "compared", "consider", "demonstrate", "demonstrates", "different",
        "effective", "et", "al", "existing", "experiment", "experiments", "experimental", "extensive", "find",
        "finds", "first", "given", "good", "high", "important", "improve", "improved", "improves",
        "including", "introduce", "introduces", "key", "large-scale", "lead", "leads", "make", "makes", "method",
        "methods", "new", "novel", "number", "paper", "perform", "performance", "present", "presents", "previous",
        "prior", "problem", "problems", "propose", "proposed", "proposes", "provide", "provides", "recent",
        "recently", "result", "results", "second", "show", "shown", "shows", "significant", "significantly",
        "simple", "specific", "state-of-the-art", "strong", "study", "studies", "suggest", "task", "tasks", "third",
        "three", "two", "use", "used", "uses", "using", "various", "well", "whereas", "work", "works",
        // Verbs abstracts and titles use around their subject.
        "address", "addresses", "aim", "aims", "apply", "applying", "drive", "drives", "enable", "enables",
        "enabling", "enhance", "enhances", "enhancing", "evaluate", "evaluates", "evaluating", "explore", "explores",
        "exploring", "fail", "fails", "focus", "focuses", "help", "helps", "improving", "investigate",
        "investigates", "investigating", "know", "knows", "need", "needs", "leverage", "leverages", "leveraging",
        "obtain", "obtains",
        "outperform", "outperforms", "predicts", "refers", "remain", "remains", "require", "requires", "rethinking",
        "reveal", "reveals", "revisit", "revisiting", "seek", "seeks", "take", "takes", "tend", "tends", "unify",
        "unifying", "yield", "yields",
    ]
}
