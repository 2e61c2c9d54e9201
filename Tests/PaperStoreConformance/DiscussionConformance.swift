import Foundation
import PaperboyCore
import Testing

extension PaperStoreConformance {
    public typealias Discussion = DiscussionStore & ModerationStore & CommunityStore & AccountStore & PaperCatalog
        & PaperWriter & KeyedPapers & StoreMaintenance

    /// A paper's visible-comment count in every read a page may use (all equal), or nil when they differ.
    static func commentCount(_ store: some Discussion, _ paper: String) async throws -> Int? {
        let counts = Set(try await everyRead(store, paper).map { $0?.numComments })
        return counts.count == 1 ? counts.first ?? nil : nil
    }

    static func texts(_ comments: [PaperboyCore.Comment]) -> [String] { comments.map(\.text) }

    /// Adds a comment that must be stored.
    static func comment(_ store: some Discussion, _ paper: String, by account: Account, _ text: String, at: Date)
        async throws -> PaperboyCore.Comment
    {
        try #require(try await store.addComment(paper: id(paper), accountID: account.id, text: text, at: at))
    }

    // MARK: DiscussionStore, and ModerationStore's comments and reports

    public static let discussion: [RoleCheck<any Discussion>] = [
        RoleCheck("comments are added, read oldest first, edited and deleted, and counted on the paper") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada", fullname: "Ada L."))
            let bob = try await store.createAccount(newAccount("bob"))
            let paper = id("2611.00001")
            #expect(try await store.comments(on: paper, audience: .everyone, limit: 10).isEmpty)
            let first = try await comment(store, "2611.00001", by: ada, "First", at: t0)
            #expect(
                first
                    == PaperboyCore.Comment(
                        id: first.id, paper: paper, author: Person(username: "ada", fullname: "Ada L."),
                        authorID: ada.id, text: "First", createdAt: t0))
            let second = try await comment(store, "2611.00001", by: bob, "Second", at: at(2))
            let between = try await comment(store, "2611.00001", by: ada, "Between", at: at(1))
            #expect(Set([first.id, second.id, between.id]).count == 3)
            #expect(
                texts(try await store.comments(on: paper, audience: .everyone, limit: 10)) == [
                    "First", "Between", "Second",
                ])
            #expect(texts(try await store.comments(on: paper, audience: .everyone, limit: 2)) == ["First", "Between"])
            #expect(try await commentCount(store, "2611.00001") == 3)
            #expect(try await commentCount(store, "2611.00002") == 0)
            #expect(try await store.comment(id: second.id) == second)

            let edited = try #require(try await store.editComment(id: first.id, text: "First, edited", at: at(3)))
            #expect(edited.text == "First, edited")
            #expect(edited.editedAt == at(3))
            #expect(edited.createdAt == t0)
            #expect(edited.author == first.author)
            #expect(try await store.comment(id: first.id) == edited)
            #expect(try await store.editComment(id: first.id + 1000, text: "x", at: at(3)) == nil)
            #expect(try await commentCount(store, "2611.00001") == 3)

            #expect(try await store.deleteComment(id: between.id))
            #expect(try await store.deleteComment(id: between.id) == false)
            #expect(try await store.comment(id: between.id) == nil)
            #expect(
                try await store.comments(on: paper, audience: .everyone, limit: 10) == [edited, second])
            #expect(try await commentCount(store, "2611.00001") == 2)
            #expect(try await store.comments(accountID: ada.id) == [edited])
            #expect(try await store.comments(accountID: bob.id) == [second])
        },
        RoleCheck("a comment on an unknown paper gives nil; comments of the same time go by their order") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            #expect(try await store.addComment(paper: id("2611.09999"), accountID: ada.id, text: "x", at: t0) == nil)
            #expect(try await store.comments(on: id("2611.09999"), audience: .moderators, limit: 10).isEmpty)
            #expect(try await store.comments(accountID: ada.id).isEmpty)
            let text = "'); DELETE FROM comments; -- <script>alert(1)</script> $x^2$"
            for n in 1...3 { _ = try await comment(store, "hep-th/9901001", by: ada, "\(n) \(text)", at: t0) }
            let stored = try await store.comments(on: id("hep-th/9901001"), audience: .everyone, limit: 10)
            #expect(texts(stored) == ["1 \(text)", "2 \(text)", "3 \(text)"])
            #expect(stored.map(\.id) == stored.map(\.id).sorted())
            #expect(stored.allSatisfy { $0.paper == id("hep-th/9901001") })
            #expect(try await commentCount(store, "hep-th/9901001") == 3)
        },
        RoleCheck("hidden comments are shown to moderators only and not counted; unhiding counts them again") {
            store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let mod = try await store.createAccount(newAccount("mod", role: .moderator))
            let paper = id("2611.00002")
            let one = try await comment(store, "2611.00002", by: ada, "one", at: t0)
            let two = try await comment(store, "2611.00002", by: ada, "two", at: at(1))
            let three = try await comment(store, "2611.00002", by: ada, "three", at: at(2))
            #expect(try await store.setCommentHidden(id: two.id, hidden: true, by: mod.id, at: at(3)) == true)
            #expect(try await store.setCommentHidden(id: two.id, hidden: true, by: mod.id, at: at(4)) == false)
            #expect(try await store.setCommentHidden(id: two.id + 1000, hidden: true, by: mod.id, at: at(3)) == nil)
            #expect(try await store.comments(on: paper, audience: .everyone, limit: 10) == [one, three])
            var hiddenTwo = two
            hiddenTwo.hiddenAt = at(3)
            #expect(try await store.comments(on: paper, audience: .moderators, limit: 10) == [one, hiddenTwo, three])
            #expect(try await store.comment(id: two.id) == hiddenTwo)
            #expect(try await commentCount(store, "2611.00002") == 2)
            // A new comment is counted beside the hidden one; deleting the hidden one changes no count.
            let four = try await comment(store, "2611.00002", by: ada, "four", at: at(5))
            #expect(try await commentCount(store, "2611.00002") == 3)
            #expect(try await store.setCommentHidden(id: one.id, hidden: true, by: nil, at: at(6)) == true)
            #expect(try await commentCount(store, "2611.00002") == 2)
            #expect(try await store.deleteComment(id: one.id))
            #expect(try await commentCount(store, "2611.00002") == 2)
            #expect(try await store.setCommentHidden(id: two.id, hidden: false, by: mod.id, at: at(7)) == true)
            #expect(try await store.setCommentHidden(id: two.id, hidden: false, by: mod.id, at: at(7)) == false)
            #expect(try await store.comments(on: paper, audience: .everyone, limit: 10) == [two, three, four])
            #expect(try await store.comment(id: two.id)?.hiddenAt == nil)
            #expect(try await commentCount(store, "2611.00002") == 3)
            // The author's own export keeps every comment they wrote, hidden or not.
            #expect(texts(try await store.comments(accountID: ada.id)) == ["two", "three", "four"])
        },
        RoleCheck("a deleted account's comments stay with no author, and stay counted") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob", fullname: "Bob B."))
            let paper = id("2611.00001")
            let mine = try await comment(store, "2611.00001", by: ada, "mine", at: t0)
            let his = try await comment(store, "2611.00001", by: bob, "his", at: at(1))
            #expect(try await store.deleteAccount(id: ada.id))
            var orphan = mine
            orphan.author = nil
            orphan.authorID = nil
            #expect(try await store.comments(on: paper, audience: .everyone, limit: 10) == [orphan, his])
            #expect(try await store.comment(id: mine.id) == orphan)
            #expect(try await commentCount(store, "2611.00001") == 2)
            #expect(try await store.comments(accountID: ada.id).isEmpty)
            // A new account of the same name is somebody else.
            let again = try await store.createAccount(newAccount("ada"))
            #expect(try await store.comments(accountID: again.id).isEmpty)
            #expect(try await store.comment(id: mine.id)?.author == nil)
        },
        RoleCheck("the comment given with a submission is the paper's first comment, by the submitter") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada", fullname: "Ada L."))
            let bob = try await store.createAccount(newAccount("bob"))
            let submittedAt = Fixtures.date("2026-11-25T08:30:00Z")
            let outcome = try await store.submit(
                Submission(paper: id("2611.00003"), accountID: ada.id, at: submittedAt, comment: "Worth a read"))
            guard case .submitted(let submitted) = outcome else {
                Issue.record("expected .submitted, got \(outcome)")
                return
            }
            #expect(submitted.numComments == 1)
            #expect(try await commentCount(store, "2611.00003") == 1)
            _ = try await comment(store, "2611.00003", by: bob, "Agreed", at: t0)
            let comments = try await store.comments(on: id("2611.00003"), audience: .everyone, limit: 10)
            #expect(comments.count == 2)
            let first = try #require(comments.first)
            #expect(
                first
                    == PaperboyCore.Comment(
                        id: first.id, paper: id("2611.00003"), author: Person(username: "ada", fullname: "Ada L."),
                        authorID: ada.id, text: "Worth a read", createdAt: submittedAt))
            #expect(comments.last?.text == "Agreed")
            #expect(try await commentCount(store, "2611.00003") == 2)
            // A repeated submission adds no comment; submissions without a comment (or an empty one) add none.
            _ = try await store.submit(
                Submission(paper: id("2611.00003"), accountID: bob.id, at: at(1), comment: "me too"))
            _ = try await store.submit(Submission(paper: id("2611.00001"), accountID: bob.id, at: t0))
            _ = try await store.submit(Submission(paper: id("2611.00002"), accountID: bob.id, at: t0, comment: ""))
            #expect(try await commentCount(store, "2611.00003") == 2)
            #expect(try await commentCount(store, "2611.00001") == 0)
            #expect(try await commentCount(store, "2611.00002") == 0)
            #expect(texts(try await store.comments(accountID: bob.id)) == ["Agreed"])
        },
        RoleCheck("100 comments added at once give a count of exactly 100") { store in
            try await load(store)
            let writers = try await accounts(store, 100)
            let added = try await withThrowingTaskGroup(of: PaperboyCore.Comment?.self) { group in
                for (n, writer) in writers.enumerated() {
                    group.addTask {
                        try await store.addComment(
                            paper: id("2611.00004"), accountID: writer.id, text: "comment \(n)", at: at(Double(n)))
                    }
                }
                var all: [PaperboyCore.Comment?] = []
                for try await comment in group { all.append(comment) }
                return all
            }
            #expect(Set(added.compactMap { $0?.id }).count == 100)
            #expect(try await commentCount(store, "2611.00004") == 100)
            let stored = try await store.comments(on: id("2611.00004"), audience: .everyone, limit: 1000)
            #expect(texts(stored) == (0..<100).map { "comment \($0)" })
        },
        RoleCheck("one open report per reporter and target; unknown targets give nil") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada", fullname: "Ada L."))
            let bob = try await store.createAccount(newAccount("bob"))
            let theirs = try await comment(store, "2611.00001", by: bob, "rude", at: t0)
            let paper = ReportTarget.paper(id("2611.00001"))
            let first = try #require(
                try await store.fileReport(target: paper, accountID: ada.id, reason: "spam", at: t0))
            #expect(
                first
                    == Report(
                        id: first.id, target: paper, reporter: Person(username: "ada", fullname: "Ada L."),
                        reason: "spam", createdAt: t0))
            #expect(try await store.fileReport(target: paper, accountID: ada.id, reason: "again", at: at(1)) == first)
            let bobs = try #require(try await store.fileReport(target: paper, accountID: bob.id, reason: "", at: at(2)))
            #expect(bobs.id != first.id)
            #expect(bobs.reason == "")
            let onComment = try #require(
                try await store.fileReport(target: .comment(theirs.id), accountID: ada.id, reason: "rude", at: at(3)))
            #expect(onComment.target == .comment(theirs.id))
            #expect(
                try await store.fileReport(target: .comment(theirs.id), accountID: ada.id, reason: "x", at: at(4))
                    == onComment)
            #expect(
                try await store.fileReport(target: .paper(id("2611.09999")), accountID: ada.id, reason: "x", at: t0)
                    == nil)
            #expect(
                try await store.fileReport(target: .comment(theirs.id + 1000), accountID: ada.id, reason: "x", at: t0)
                    == nil)
            #expect(try await store.reports(open: true, limit: 10) == [first, bobs, onComment])
            #expect(try await store.reports(open: true, limit: 2) == [first, bobs])
            #expect(try await store.reports(open: false, limit: 10).isEmpty)
            // Once resolved, the same reporter may report the same target again.
            #expect(try await store.resolveReport(id: first.id, by: nil, at: at(5)))
            let renewed = try #require(
                try await store.fileReport(target: paper, accountID: ada.id, reason: "still spam", at: at(6)))
            #expect(renewed.id != first.id)
            #expect(try await store.reports(open: true, limit: 10) == [bobs, onComment, renewed])
        },
        RoleCheck("resolving a report closes it once; resolved reports list most recently resolved first") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let mod = try await store.createAccount(newAccount("mod", fullname: "The Mod", role: .moderator))
            var reports: [Report] = []
            for (n, paper) in ["2611.00001", "2611.00002", "2611.00003"].enumerated() {
                reports.append(
                    try #require(
                        try await store.fileReport(
                            target: .paper(id(paper)), accountID: ada.id, reason: "r\(n)", at: at(Double(n)))))
            }
            #expect(try await store.resolveReport(id: reports[1].id, by: mod.id, at: at(4)))
            #expect(try await store.resolveReport(id: reports[1].id, by: mod.id, at: at(5)) == false)
            #expect(try await store.resolveReport(id: reports[2].id + 1000, by: mod.id, at: at(5)) == false)
            #expect(try await store.resolveReport(id: reports[0].id, by: nil, at: at(6)))
            #expect(try await store.reports(open: true, limit: 10) == [reports[2]])
            var zero = reports[0]
            zero.resolvedAt = at(6)
            var one = reports[1]
            one.resolvedAt = at(4)
            one.resolvedBy = Person(username: "mod", fullname: "The Mod")
            #expect(try await store.reports(open: false, limit: 10) == [zero, one])
            #expect(try await store.reports(open: false, limit: 1) == [zero])
        },
        RoleCheck("deleted accounts leave reports without reporter or resolver; a deleted comment's reports go") {
            store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            let mod = try await store.createAccount(newAccount("mod", role: .moderator))
            let paperReport = try #require(
                try await store.fileReport(target: .paper(id("2611.00001")), accountID: ada.id, reason: "a", at: t0))
            let resolved = try #require(
                try await store.fileReport(target: .paper(id("2611.00002")), accountID: ada.id, reason: "b", at: at(1)))
            #expect(try await store.resolveReport(id: resolved.id, by: mod.id, at: at(2)))
            let bobs = try await comment(store, "2611.00003", by: bob, "bob's", at: t0)
            _ = try #require(
                try await store.fileReport(target: .comment(bobs.id), accountID: ada.id, reason: "c", at: at(3)))
            #expect(try await store.deleteComment(id: bobs.id))
            #expect(try await store.reports(open: true, limit: 10).map(\.id) == [paperReport.id])
            #expect(try await store.deleteAccount(id: ada.id))
            #expect(try await store.deleteAccount(id: mod.id))
            var orphan = paperReport
            orphan.reporter = nil
            #expect(try await store.reports(open: true, limit: 10) == [orphan])
            let closed = try await store.reports(open: false, limit: 10)
            #expect(closed.map(\.id) == [resolved.id])
            #expect(closed.first?.reporter == nil)
            #expect(closed.first?.resolvedBy == nil)
            #expect(closed.first?.resolvedAt == at(2))
        },
    ]
}
