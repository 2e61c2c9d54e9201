import Foundation
import PaperboyCore
import Testing

@testable import PaperboySearch

@Suite struct KeywordSegmentTests {
    @Test func postingsReadBackWithCountsPositionsAndSkips() throws {
        let papers = RandomCorpus.papers(700, seed: 3)
        let snapshot = try KeywordSnapshot.of(papers, parts: 1)
        let segment = try #require(snapshot.segments.first)
        #expect(segment.docCount == 700)
        let scorer = ExhaustiveScorer(papers.map { ($0, live: true) })
        for term in ["model", "graph", "entropi", "ada"] {
            let index = try #require(segment.termIndex(term))
            var expected: [(doc: UInt32, title: UInt32, authors: UInt32, abstract: UInt32)] = []
            for (doc, d) in scorer.docs.enumerated() {
                let t = UInt32(d.title.filter { $0 == term }.count)
                let a = UInt32(d.authors.filter { $0 == term }.count)
                let b = UInt32(d.abstract.filter { $0 == term }.count)
                if t + a + b > 0 { expected.append((UInt32(doc), t, a, b)) }
            }
            #expect(segment.info(index).df == expected.count)
            var cursor = PostingCursor(segment: segment, term: index)
            var seen = 0
            while cursor.doc != PostingCursor.end {
                let e = expected[seen]
                #expect(cursor.doc == e.doc && cursor.title == e.title)
                #expect(cursor.authors == e.authors && cursor.abstract == e.abstract)
                // Positions: each field's positions are where the term stands in it.
                let d = scorer.docs[Int(cursor.doc)]
                let places = cursor.positions()
                let titleAt = d.title.indices.filter { d.title[$0] == term }.map(UInt32.init)
                #expect(places.filter { $0.field == 0 }.map(\.position) == titleAt)
                let abstractAt = d.abstract.indices.filter { d.abstract[$0] == term }.map(UInt32.init)
                #expect(places.filter { $0.field == 2 }.map(\.position) == abstractAt)
                seen += 1
                cursor.next()
            }
            #expect(seen == expected.count)
            // Skipping lands on the first document at or after the target, across blocks.
            for target in stride(from: 0, to: 720, by: 37) {
                var skipper = PostingCursor(segment: segment, term: index)
                skipper.advance(to: UInt32(target))
                let want = expected.first { $0.doc >= UInt32(target) }?.doc ?? PostingCursor.end
                #expect(skipper.doc == want)
            }
        }
        #expect(segment.termIndex("absent") == nil)
        #expect(segment.terms(withPrefix: "qua").map(segment.term) == ["quantum"])
        for paper in papers.prefix(50) {
            let doc = try #require(segment.doc(forKey: paper.key))
            #expect(segment.id(doc) == paper.id.rawValue)
            #expect(segment.key(doc) == paper.key)
        }
    }

    /// Each way a word can stand in the title, authors and abstract is written in its own compact shape and reads
    /// back with its counts and positions.
    @Test func everyShapeOfCountsReadsBack() throws {
        let cases: [(title: String, authors: [String], abstract: String, counts: [UInt32])] = [
            ("Plain", ["Ann Lee"], "a zeta here", [0, 0, 1]),
            ("Plain", ["Ann Lee"], "zeta zeta and zeta", [0, 0, 3]),
            ("Zeta", ["Ann Lee"], "nothing", [1, 0, 0]),
            ("Plain", ["Zeta Jones"], "nothing", [0, 1, 0]),
            ("Zeta rises", ["Ann Lee"], "zeta and zeta", [1, 0, 2]),
            ("Zeta zeta", ["Ann Lee"], "zeta and zeta", [2, 0, 2]),
            ("Zeta zeta", ["Zeta Jones"], "zeta", [2, 1, 1]),
            (String(repeating: "zeta ", count: 200), ["Ann Lee"], "filler", [200, 0, 0]),
        ]
        var builder = SegmentBuilder()
        for (n, c) in cases.enumerated() {
            builder.add(
                IndexablePaper(
                    key: PaperKey(n + 1), id: PaperID(storedValue: "2601.0000\(n)"), title: c.title, authors: c.authors,
                    abstract: c.abstract, categories: ["cs.LG"], featuredAt: Date(timeIntervalSince1970: 0),
                    isHidden: false))
        }
        let segment = try Segment(bytes: SegmentBytes(copying: builder.build()), path: "test")
        var cursor = PostingCursor(segment: segment, term: try #require(segment.termIndex("zeta")))
        for (n, c) in cases.enumerated() {
            #expect(cursor.doc == UInt32(n))
            #expect([cursor.title, cursor.authors, cursor.abstract] == c.counts, "case \(n)")
            let places = cursor.positions()
            #expect(UInt32(places.count) == c.counts.reduce(0, +), "case \(n)")
            cursor.next()
        }
        #expect(cursor.doc == PostingCursor.end)
        // A category is a term with no place in the text.
        var category = PostingCursor(
            segment: segment, term: try #require(segment.termIndex(SegmentLayout.categoryPrefix + "cs.LG")))
        var docs = 0
        while category.doc != PostingCursor.end {
            #expect([category.title, category.authors, category.abstract] == [0, 0, 0])
            docs += 1
            category.next()
        }
        #expect(docs == cases.count)
    }

    /// A block's impacts are the documents no other beats on both counts, and the best BM25 part they give is the
    /// best of the block's documents for any average length.
    @Test func blockImpactsBoundEveryDocumentExactly() throws {
        let kept = TermPostingsWriter.frontier([(1, 100), (10, 50), (10, 30), (2, 20), (1, 10), (4, 60)])
        #expect(kept.map(\.weighted) == [10, 2, 1])
        #expect(kept.map(\.length) == [30, 20, 10])
        let papers = RandomCorpus.papers(1_000, seed: 9)
        let snapshot = try KeywordSnapshot.of(papers, parts: 1)
        let segment = try #require(snapshot.segments.first)
        for term in ["model", "graph", "quantum"] {
            var cursor = PostingCursor(segment: segment, term: try #require(segment.termIndex(term)))
            var parts: [Int: [(UInt32, UInt32)]] = [:]
            while cursor.doc != PostingCursor.end {
                let weighted = KeywordScoring.weighted(
                    title: cursor.title, authors: cursor.authors, abstract: cursor.abstract)
                parts[cursor.block, default: []].append((weighted, segment.length(Int(cursor.doc))))
                cursor.next()
            }
            #expect(parts.count > 3, "\(term) spans several blocks")
            for avgdl in [5.0, 40.0, 400.0] {
                for (block, docs) in parts {
                    let want = docs.map { KeywordScoring.part($0.0, length: $0.1, avgdl: avgdl) }.max() ?? 0
                    #expect(cursor.blockMaxPart(block, avgdl: avgdl) == want, "\(term) block \(block)")
                }
            }
        }
    }

    @Test func aDamagedSegmentIsRefusedWithItsReason() throws {
        var builder = SegmentBuilder()
        for paper in RandomCorpus.papers(20, seed: 1) { builder.add(paper) }
        var bytes = builder.build()
        bytes[bytes.count - 3] ^= 0xFF
        #expect(throws: KeywordIndexError.corrupt(path: "x", reason: "checksum mismatch")) {
            _ = try Segment(bytes: SegmentBytes(copying: bytes), path: "x")
        }
        #expect(throws: KeywordIndexError.corrupt(path: "x", reason: "not a keyword segment (bad magic)")) {
            _ = try Segment(bytes: SegmentBytes(copying: [UInt8](repeating: 7, count: 200)), path: "x")
        }
    }
}

@Suite struct KeywordRankingTests {
    /// Block-max WAND (any word) and block-max AND (every word) give the exhaustive scorer's top k, over several
    /// segments with deleted papers, on random corpora.
    @Test(arguments: [UInt64(11), 12, 13, 14])
    func topKEqualsTheExhaustiveScorer(seed: UInt64) throws {
        let papers = RandomCorpus.papers(2_000, seed: seed)
        var rng = SplitMix64(state: seed &* 31)
        let deleted = Set(papers.filter { _ in rng.next() % 10 == 0 }.map(\.key))
        let snapshot = try KeywordSnapshot.of(papers, parts: 3, deleting: deleted)
        let scorer = ExhaustiveScorer(papers.map { ($0, live: !deleted.contains($0.key)) })
        for _ in 0..<25 {
            let words = Array(Set((0..<Int.random(in: 1...3, using: &rng)).map { _ in RandomCorpus.word(&rng) }))
            for any in [false, true] {
                for k in [1, 10, 100] {
                    var query = SearchQuery(parsing: words.joined(separator: " "))
                    if any { query = query.anyTerm }
                    let got = KeywordEngine.rank(query, snapshot: snapshot, offset: 0, limit: k)
                    let want = scorer.top(words, any: any && words.count > 1, k: k)
                    #expect(got.ranked.map(\.key) == want.map(\.key), "\(words) any \(any) k \(k)")
                    for (g, w) in zip(got.ranked, want) { #expect(abs(g.score - w.score) < 1e-9) }
                }
            }
        }
    }

    /// Scores are BM25 over the live papers, as FTS5 computes them: an index split into segments with replaced
    /// papers still in them ranks and scores exactly as one segment of the live papers (two nodes with different
    /// merge histories answer alike).
    @Test func scoresDoNotDependOnSegmentsOrDeletedPapers() throws {
        let papers = RandomCorpus.papers(1_200, seed: 21)
        var rng = SplitMix64(state: 21)
        let deleted = Set(papers.filter { _ in rng.next() % 4 == 0 }.map(\.key))
        let split = try KeywordSnapshot.of(papers, parts: 4, deleting: deleted)
        let merged = try KeywordSnapshot.of(papers.filter { !deleted.contains($0.key) }, parts: 1)
        #expect(split.liveDocuments == merged.liveDocuments)
        #expect(split.liveTokens == merged.liveTokens)
        for text in ["model", "graph quantum", "\"neural network\"", "qu*", "author:lee model"] {
            for any in [false, true] {
                var query = SearchQuery(parsing: text)
                if any { query = query.anyTerm }
                let a = KeywordEngine.rank(query, snapshot: split, offset: 0, limit: 50)
                let b = KeywordEngine.rank(query, snapshot: merged, offset: 0, limit: 50)
                #expect(a.ranked == b.ranked, "\(text) any \(any)")
                #expect(a.total == b.total, "\(text) any \(any)")
            }
        }
    }

    @Test func pagesFollowOneAnotherAndCountsAreExact() throws {
        let papers = RandomCorpus.papers(1_500, seed: 5)
        let snapshot = try KeywordSnapshot.of(papers, parts: 2)
        let query = SearchQuery(parsing: "model")
        let all = KeywordEngine.rank(query, snapshot: snapshot, offset: 0, limit: 60)
        let second = KeywordEngine.rank(query, snapshot: snapshot, offset: 20, limit: 20)
        #expect(second.ranked == Array(all.ranked[20..<40]))
        let scorer = ExhaustiveScorer(papers.map { ($0, live: true) })
        #expect(all.total == scorer.top(["model"], any: false, k: .max).count)
        #expect(!all.totalIsEstimated)
    }

    @Test func phrasesNeedTheWordsNextToEachOtherInOneField() throws {
        let papers = [
            paper(1, title: "Neural network pruning", abstract: "We prune."),
            paper(2, title: "Network of neural cells", abstract: "A network, neural."),
            paper(3, title: "Graphs", abstract: "A deep neural network for graphs; neural network again."),
            paper(4, title: "Neural", abstract: "network"),
        ]
        let snapshot = try KeywordSnapshot.of(papers, parts: 2)
        let got = KeywordEngine.rank(
            SearchQuery(parsing: "\"neural network\""), snapshot: snapshot, offset: 0, limit: 10)
        #expect(Set(got.ranked.map(\.key)) == [1, 3])
        #expect(got.ranked.first?.key == 1)  // in the title (weight 10) beats twice in the abstract
        let prefix = KeywordEngine.rank(SearchQuery(parsing: "netw*"), snapshot: snapshot, offset: 0, limit: 10)
        #expect(Set(prefix.ranked.map(\.key)) == [1, 2, 3, 4])
    }

    @Test func filtersAuthorsCategoriesDatesAndExcludedWords() throws {
        let papers = RandomCorpus.papers(800, seed: 9)
        let snapshot = try KeywordSnapshot.of(papers, parts: 2)
        func keys(_ text: String) -> Set<PaperKey> {
            Set(
                KeywordEngine.rank(SearchQuery(parsing: text), snapshot: snapshot, offset: 0, limit: 10_000).ranked.map(
                    \.key))
        }
        let scorer = ExhaustiveScorer(papers.map { ($0, live: true) })
        let withModel = Set(scorer.top(["model"], any: false, k: .max).map(\.key))
        let byCategory = Set(papers.filter { $0.categories.contains("quant-ph") }.map(\.key))
        #expect(keys("model cat:quant-ph") == withModel.intersection(byCategory))
        let byAuthor = Set(papers.filter { $0.authors.contains("Grace Hopper") }.map(\.key))
        #expect(keys("model author:\"Grace Hopper\"") == withModel.intersection(byAuthor))
        let withGraph = Set(scorer.top(["graph"], any: false, k: .max).map(\.key))
        #expect(keys("model -graph") == withModel.subtracting(withGraph))
        let day = Day(year: 2025, month: 1, day: 20)!
        let after = Set(papers.filter { Day($0.featuredAt) >= day }.map(\.key))
        #expect(keys("model after:2025-01-20") == withModel.intersection(after))
        #expect(keys("model before:2025-01-20") == withModel.subtracting(after))
        // Filters alone list newest first, and semantic search is given the same keys.
        let listed = KeywordEngine.rank(SearchQuery(parsing: "cat:quant-ph"), snapshot: snapshot, offset: 0, limit: 5)
        #expect(listed.total == byCategory.count)
        let newest = papers.filter { byCategory.contains($0.key) }.sorted {
            $0.featuredAt != $1.featuredAt ? $0.featuredAt > $1.featuredAt : $0.id.rawValue > $1.id.rawValue
        }
        #expect(listed.ranked.map(\.key) == newest.prefix(5).map(\.key))
        #expect(
            KeywordEngine.keys(passingFiltersOf: SearchQuery(parsing: "cat:quant-ph"), snapshot: snapshot) == byCategory
        )
        #expect(KeywordEngine.keys(passingFiltersOf: SearchQuery(parsing: "model"), snapshot: snapshot) == nil)
    }

    @Test func newestSortOrdersMatchesByDateWithExactCounts() throws {
        let papers = RandomCorpus.papers(900, seed: 21)
        let snapshot = try KeywordSnapshot.of(papers, parts: 3)
        var query = SearchQuery(parsing: "graph")
        query.sort = .newest
        let got = KeywordEngine.rank(query, snapshot: snapshot, offset: 0, limit: 15)
        let scorer = ExhaustiveScorer(papers.map { ($0, live: true) })
        let matching = Set(scorer.top(["graph"], any: false, k: .max).map(\.key))
        let want = papers.filter { matching.contains($0.key) }.sorted {
            $0.featuredAt != $1.featuredAt ? $0.featuredAt > $1.featuredAt : $0.id.rawValue > $1.id.rawValue
        }
        #expect(got.ranked.map(\.key) == want.prefix(15).map(\.key))
        #expect(got.total == matching.count)
    }

    @Test func largeCountsAreEstimatedPastTheExactLimit() throws {
        let papers = (1...12_000).map { i in
            paper(PaperKey(i), title: i % 3 == 0 ? "Quantum model" : "A model", abstract: "Words about a model.")
        }
        let snapshot = try KeywordSnapshot.of(papers, parts: 2)
        // Two words in every paper: counted to the limit, then estimated from the share of the index read.
        let common = KeywordEngine.rank(SearchQuery(parsing: "model words"), snapshot: snapshot, offset: 0, limit: 10)
        #expect(common.totalIsEstimated)
        #expect(common.total == 12_000)
        let rarer = KeywordEngine.rank(
            SearchQuery(parsing: "quantum model"), snapshot: snapshot, offset: 0, limit: 10)
        #expect(!rarer.totalIsEstimated)
        #expect(rarer.total == 4_000)
        // One word alone is counted exactly however common: its live documents are known without a scan.
        let one = KeywordEngine.rank(SearchQuery(parsing: "model"), snapshot: snapshot, offset: 0, limit: 10)
        #expect(!one.totalIsEstimated)
        #expect(one.total == 12_000)
    }

    func paper(_ key: PaperKey, title: String, abstract: String) -> IndexablePaper {
        IndexablePaper(
            key: key, id: PaperID(storedValue: String(format: "2501.%05d", Int(key))), title: title, authors: ["A. B"],
            abstract: abstract, categories: ["cs.LG"], featuredAt: Date(timeIntervalSince1970: 1_735_689_600),
            isHidden: false)
    }
}

@Suite struct KeywordIndexMaintainerTests {
    func directory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-kw-\(UUID().uuidString)")
    }

    func keys(_ index: KeywordSearchIndex, _ text: String) async throws -> [PaperKey] {
        try await index.rank(SearchQuery(parsing: text), offset: 0, limit: 1_000).ranked.map(\.key)
    }

    @Test func changesHidingAndEditsAreFollowed() async throws {
        let feed = FakeChangeFeed()
        var papers = RandomCorpus.papers(300, seed: 2)
        await feed.put(papers)
        let maintainer = try await KeywordIndexMaintainer(directory: nil, feed: feed, papers: feed)
        try await maintainer.catchUp()
        let index = maintainer.index
        #expect(index.count == 300)
        let before = try await keys(index, "model")
        // A paper hidden by a moderator leaves; an edited one is found by its new words only.
        var hidden = try #require(papers.first { before.contains($0.key) })
        hidden.isHidden = true
        let edited = try #require(papers.indices.last { papers[$0].key != hidden.key })
        papers[edited].title = "Zeppelin aerodynamics"
        await feed.put([hidden, papers[edited]])
        try await maintainer.catchUp()
        #expect(try await !keys(index, "model").contains(hidden.key))
        #expect(try await keys(index, "zeppelin") == [papers[edited].key])
        hidden.isHidden = false
        await feed.put([hidden])
        try await maintainer.catchUp()
        #expect(try await keys(index, "model").contains(hidden.key))
        #expect(index.count == 300)
        // Merging keeps every answer.
        let beforeMerge = try await index.rank(SearchQuery(parsing: "model graph"), offset: 0, limit: 50)
        await maintainer.merge(Array(0..<index.segmentSizes.count))
        #expect(index.segmentSizes.count == 1)
        let afterMerge = try await index.rank(SearchQuery(parsing: "model graph"), offset: 0, limit: 50)
        #expect(afterMerge.ranked.map(\.key) == beforeMerge.ranked.map(\.key))
    }

    @Test func aChangeThatLeavesTheTextAsItWasIsNotReindexed() async throws {
        let feed = FakeChangeFeed()
        let papers = RandomCorpus.papers(50, seed: 8)
        await feed.put(papers)
        let maintainer = try await KeywordIndexMaintainer(directory: nil, feed: feed, papers: feed)
        try await maintainer.catchUp()
        // A vote writes the paper again with the same text: read, and nothing rebuilt.
        await feed.put([papers[3], papers[7]])
        #expect(try await maintainer.catchUp() == 2)
        #expect(maintainer.index.segmentSizes == [50])
        var edited = papers[3]
        edited.abstract += " zeppelin"
        await feed.put([edited])
        try await maintainer.catchUp()
        #expect(maintainer.index.segmentSizes == [50, 1])
        #expect(maintainer.index.count == 50)
    }

    @Test func aRestartReadsTheFilesAndOnlyNewChanges() async throws {
        let dir = directory()
        let feed = FakeChangeFeed()
        await feed.put(RandomCorpus.papers(400, seed: 4))
        var first: KeywordIndexMaintainer? = try await KeywordIndexMaintainer(directory: dir, feed: feed, papers: feed)
        try await first?.catchUp()
        try await first?.shutDown()
        let expected = try await keys(try #require(first).index, "quantum")
        first = nil
        await feed.put(RandomCorpus.papers(10, seed: 99, firstKey: 1_000))
        let second = try await KeywordIndexMaintainer(directory: dir, feed: feed, papers: feed)
        #expect(await second.changeSequence == 400)
        #expect(try await keys(second.index, "quantum") == expected)
        #expect(try await second.catchUp() == 10)
        #expect(second.index.count == 410)
    }

    /// The files of an index directory by name.
    func files(_ dir: URL) throws -> [String: Data] {
        var found: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            found[name] = try Data(contentsOf: dir.appendingPathComponent(name))
        }
        return found
    }

    @Test func aSaveCutShortAfterAMergeLeavesAWholeIndex() async throws {
        let dir = directory()
        let feed = FakeChangeFeed()
        var papers = RandomCorpus.papers(300, seed: 12)
        await feed.put(papers)
        let first = try await KeywordIndexMaintainer(directory: dir, feed: feed, papers: feed)
        try await first.catchUp()
        try await first.flush()
        let before = try files(dir)
        // A third of the papers revised: their old documents are deleted, so the segment is rewritten without them.
        for i in 0..<100 { papers[i].abstract += " zeppelin" }
        await feed.put(Array(papers[0..<100]))
        try await first.catchUp()
        #expect(await first.mergeIfNeeded())
        try await first.flush()
        let after = try files(dir)
        let revised = try await keys(first.index, "zeppelin")
        let everything = try await keys(first.index, "model")
        #expect(revised.count == 100)
        try await first.shutDown()

        // What a kill can leave while a save writes its files aside and renames them, then the manifest, then
        // removes what the manifest no longer names.
        let manifest = "manifest.json"
        let states: [(String, [String: Data])] = [
            (
                "the new segments and deletions written, the manifest half-written aside",
                before.merging(after.filter { $0.key != manifest }) { old, _ in old }
                    .merging(["\(manifest).tmp": Data(#"{"format":3,"ident"#.utf8)]) { old, _ in old }
            ),
            (
                "the new manifest in place, the files it replaced not yet removed",
                after.merging(before.filter { $0.key != manifest }) { new, _ in new }
            ),
        ]
        for (state, contents) in states {
            let crashed = directory()
            try FileManager.default.createDirectory(at: crashed, withIntermediateDirectories: true)
            for (name, data) in contents { try data.write(to: crashed.appendingPathComponent(name)) }
            let reopened = try await KeywordIndexMaintainer(directory: crashed, feed: feed, papers: feed)
            try await reopened.catchUp()
            #expect(try await keys(reopened.index, "zeppelin") == revised, "\(state)")
            #expect(try await keys(reopened.index, "model") == everything, "\(state)")
            #expect(reopened.index.count == 300, "\(state)")
            try await reopened.shutDown()
            let saved = try JSONDecoder().decode(
                KeywordIndexMaintainer.Manifest.self, from: Data(contentsOf: crashed.appendingPathComponent(manifest)))
            #expect(
                Set(try files(crashed).keys) == Set(saved.segments + [saved.deletions, manifest, "lock"]),
                "\(state): only what the manifest names is left")
        }
    }

    @Test func aSecondWriterIsRefused() async throws {
        let dir = directory()
        let feed = FakeChangeFeed()
        let first = try await KeywordIndexMaintainer(directory: dir, feed: feed, papers: feed)
        await #expect(throws: KeywordIndexError.locked(directory: dir.path)) {
            _ = try await KeywordIndexMaintainer(directory: dir, feed: feed, papers: feed)
        }
        // A reader may open it.
        _ = try await KeywordIndexMaintainer(directory: dir, feed: feed, papers: feed, writable: false)
        try await first.shutDown()
    }

    @Test func damagedFilesAndAnotherStoresIndexAreRebuilt() async throws {
        let dir = directory()
        let feed = FakeChangeFeed()
        await feed.put(RandomCorpus.papers(200, seed: 6))
        var maintainer: KeywordIndexMaintainer? = try await KeywordIndexMaintainer(
            directory: dir, feed: feed, papers: feed)
        try await maintainer?.catchUp()
        try await maintainer?.shutDown()
        let expected = try await keys(try #require(maintainer).index, "graph")
        maintainer = nil
        // Flip a byte in the segment file.
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        let segmentFile = dir.appendingPathComponent(try #require(names.first { $0.hasSuffix(".kws") }))
        var bytes = try Data(contentsOf: segmentFile)
        bytes[bytes.count - 5] ^= 0x55
        try bytes.write(to: segmentFile)
        let repaired = try await KeywordIndexMaintainer(directory: dir, feed: feed, papers: feed)
        #expect(await repaired.changeSequence == 0)
        try await repaired.catchUp()
        #expect(try await keys(repaired.index, "graph") == expected)
        try await repaired.shutDown()
        // An index an older Paperboy wrote (another file format) is rebuilt, and the log says why.
        let manifestURL = dir.appendingPathComponent("manifest.json")
        let current = try String(contentsOf: manifestURL, encoding: .utf8)
        try current.replacingOccurrences(of: "\"format\":\(KeywordIndexMaintainer.format)", with: "\"format\":2")
            .write(to: manifestURL, atomically: true, encoding: .utf8)
        let upgraded = try await KeywordIndexMaintainer(directory: dir, feed: feed, papers: feed)
        #expect(await upgraded.changeSequence == 0)
        try await upgraded.catchUp()
        #expect(try await keys(upgraded.index, "graph") == expected)
        try await upgraded.shutDown()
        #expect(
            KeywordIndexError.otherFormat(path: "i/manifest.json", found: 2, expected: 3).description
                == "keyword index i/manifest.json is in file format 2; this Paperboy reads format 3")
        // The same directory beside another store's data is rebuilt too.
        let other = FakeChangeFeed(identity: "store-2")
        await other.put(RandomCorpus.papers(5, seed: 7))
        let rebuilt = try await KeywordIndexMaintainer(directory: dir, feed: other, papers: other)
        #expect(await rebuilt.changeSequence == 0)
        try await rebuilt.catchUp()
        #expect(rebuilt.index.count == 5)
    }

    @Test func highlightsMarkTheMatchedWordsAndCutALongAbstract() async throws {
        let feed = FakeChangeFeed()
        let long = (0..<80).map { $0 == 50 ? "quantum" : "filler" }.joined(separator: " ")
        await feed.put([
            IndexablePaper(
                key: 1, id: PaperID(storedValue: "2501.00001"), title: "Quantum <b> fields", authors: ["A"],
                abstract: long, categories: ["quant-ph"], featuredAt: Date(timeIntervalSince1970: 0), isHidden: false)
        ])
        let maintainer = try await KeywordIndexMaintainer(directory: nil, feed: feed, papers: feed)
        try await maintainer.catchUp()
        let marks = try await maintainer.index.highlights(SearchQuery(parsing: "quantum"), keys: [1])
        let h = try #require(marks[1])
        #expect(h.title.segments.map(\.text) == ["Quantum", " <b> fields"])
        #expect(h.title.segments.map(\.isMatch) == [true, false])
        #expect(h.abstract.plainText.hasPrefix("…"))
        #expect(h.abstract.plainText.hasSuffix("…"))
        #expect(h.abstract.matchedWords == ["quantum"])
    }

    @Test func highlightsNeverMarkInsideTeXNorCutAFormula() async throws {
        let feed = FakeChangeFeed()
        // The match inside the formula ("log") is left alone; the one outside is marked.
        let title = "Sorting in $\\mathcal{O}(n \\log n)$ time: a log of results"
        // A long abstract whose best window would start inside a formula: the snippet starts at the formula instead.
        let formula = "$" + (0..<45).map { _ in "x" }.joined(separator: " + ") + " = y$"
        let abstract =
            (0..<60).map { _ in "filler" }.joined(separator: " ") + " " + formula + " shows quantum entropy"
        await feed.put([
            IndexablePaper(
                key: 1, id: PaperID(storedValue: "2501.00002"), title: title, authors: ["A"], abstract: abstract,
                categories: ["cs.DS"], featuredAt: Date(timeIntervalSince1970: 0), isHidden: false)
        ])
        let maintainer = try await KeywordIndexMaintainer(directory: nil, feed: feed, papers: feed)
        try await maintainer.catchUp()
        let marks = try await maintainer.index.highlights(SearchQuery(parsing: "log quantum entropy"), keys: [1])
        let h = try #require(marks[1])
        #expect(h.title.segments.filter(\.isMatch).count == 1)
        #expect(h.title.plainText == title)
        #expect(
            h.title.segments.map(\.text) == ["Sorting in $\\mathcal{O}(n \\log n)$ time: a ", "log", " of results"])
        #expect(h.abstract.plainText.contains(formula))
        #expect(h.abstract.matchedWords == ["quantum", "entropy"])
    }
}
