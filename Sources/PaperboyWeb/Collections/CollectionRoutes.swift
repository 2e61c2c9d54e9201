import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// A collection in a list: the owner's `/collections`, a profile.
struct CollectionSummaryView {
    let name: String
    let url: String
    let description: String?
    let isPublic: Bool
    let countText: String
    let updated: String
    let isoUpdated: String

    init(_ collection: PaperCollection, config: WebConfiguration) {
        name = collection.name
        url = SiteURL.collection(collection.id).path(config)
        description = collection.description.isEmpty ? nil : collection.description
        isPublic = collection.isPublic
        countText = Format.count(collection.itemCount, "paper", "papers")
        updated = Format.longDate(Day(collection.updatedAt))
        isoUpdated = Timestamp.rfc3339(collection.updatedAt)
    }
}

/// `/collections` (`collections.mustache`): the signed-in user's collections and the form that makes a new one.
struct CollectionsPageModel: PersonalPage {
    var site: SiteChrome
    let feed: FeedLink? = nil
    let canonical: String? = nil
    let action: String
    let csrf: String
    let collections: [CollectionSummaryView]
    let hasCollections: Bool
    let countText: String
    /// False once the user has as many collections as an account may have.
    let canCreate: Bool
    let problem: String?
    /// The create form's values (kept when it comes back with a problem).
    let formName: String
    let formDescription: String
    let formPublic: Bool
    let maxName: Int
    let maxDescription: Int
}

/// The owner's forms on a collection's page: edit it, delete it.
struct CollectionManageView {
    let edit: String
    let delete: String
    let csrf: String
    let name: String
    let description: String
    let isPublic: Bool
    let maxName: Int
    let maxDescription: Int
}

/// `/collections/{id}` (`collection.mustache`): a collection's papers, most recently added first, with its BibTeX
/// export and (when public) its feed; for its owner, the forms that change it.
struct CollectionPageModel {
    var site: SiteChrome
    let feed: FeedLink?
    let canonical: String?
    let name: String
    let description: String?
    let owner: SubmitterView
    let isPublic: Bool
    let countText: String
    let updated: String
    let isoUpdated: String
    let bibtexURL: String
    let feedURL: String?
    var cards: [CardView]
    let emptyText: String
    let pagination: PaginationView?
    let manage: CollectionManageView?
}

extension CollectionPageModel: PersonalPage {
    mutating func eachCard(_ body: (inout CardView) -> Void) {
        for index in cards.indices { body(&cards[index]) }
    }
}

/// What `/collections/**` names: a page, its BibTeX, an owner's form, or the cards' "Save to…" form.
enum CollectionPath: Equatable {
    case page(String)
    case bibtex(String)
    case action(String, CollectionAction)
    case save
    case unknown

    static let bibSuffix = ".bib"

    init(_ parameter: some StringProtocol) {
        let parts = parameter.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 1 {
            let part = String(parts[0])
            if part == CollectionAction.save {
                self = .save
            } else if part.hasSuffix(CollectionPath.bibSuffix) {
                self = .bibtex(String(part.dropLast(CollectionPath.bibSuffix.count)))
            } else {
                self = .page(part)
            }
        } else if parts.count == 2, let action = CollectionAction(rawValue: String(parts[1])) {
            self = .action(String(parts[0]), action)
        } else {
            self = .unknown
        }
    }

    /// The methods a path takes: forms post, pages and exports are read.
    var methods: Set<HTTPRequest.Method> {
        switch self {
        case .action, .save: [.post]
        case .page, .bibtex, .unknown: [.get]
        }
    }

    /// The path below `/collections/` of a request path (which may carry the site's prefix).
    static func parameter(ofPath path: String) -> Substring {
        guard let range = path.range(of: SiteRoute.collections.pattern + "/") else { return "" }
        return path[range.upperBound...]
    }
}

/// Collections in the browser: the owner's list and create form (`/collections`), a collection's page, its BibTeX
/// export and feed, and the forms that change one (`POST /collections/{id}/{edit|delete|add|remove}`, and the
/// cards' `POST /collections/save`). Every form works without JavaScript; the API offers the same under
/// `/api/collections`.
struct CollectionRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }
    var pages: PageRoutes<Store> { PageRoutes(site: site) }
    var actions: CollectionActions<Store> { CollectionActions(site: site) }

    func register(on routes: RouteTable) {
        let mine = SiteURL.collections.path(config)
        routes.get(.collections) { request, context in
            try await signedIn(request, context, back: mine) { try await listPage($0) }
        }
        routes.on(.collections, method: .post) { request, context in
            try await signedIn(request, context, back: mine) { try await create(request, $0) }
        }
        routes.get(.collection) { request, context in
            switch CollectionPath(try SiteRoute.collection.parameter(in: context)) {
            case .page(let id):
                return try await pages.page(request, context) { visit in
                    try await collectionPage(id, request, context, visit)
                }
            case .bibtex(let id):
                return try await site.cache.respond(to: request) { try await bibtex(id, context.viewer) }
            case .action, .save:
                return RouteTable.notAllowed([.post])
            case .unknown:
                return try await pages.page(request, context) { _ in throw PageError.notFound("No such collection.") }
            }
        }
        routes.on(.collection, method: .post) { request, context in
            switch CollectionPath(try SiteRoute.collection.parameter(in: context)) {
            case .action(let id, let action):
                let back = PaperCollection.isWellFormedID(id) ? SiteURL.collection(id).path(config) : mine
                return try await signedIn(request, context, back: back) { try await perform(action, id, request, $0) }
            case .save:
                return try await signedIn(request, context, back: mine) { try await save(request, $0) }
            case .page, .bibtex:
                return RouteTable.notAllowed([.get])
            case .unknown:
                return try await signedIn(request, context, back: mine) { _ in
                    throw PageError.notFound("No such collection.")
                }
            }
        }
        routes.methods(of: .collection) { path in CollectionPath(CollectionPath.parameter(ofPath: path)).methods }
        routes.get(.collectionFeed) { request, context in
            try await site.cache.respond(to: request) {
                try await feed(try SiteRoute.collectionFeed.parameter(in: context))
            }
        }
    }

    /// Answers a signed-in browser (never from the shared cache); anybody else is sent to sign in, coming back to
    /// `back`. A refusal becomes an error page with its status.
    func signedIn(
        _ request: Request, _ context: AppRequestContext, back: String,
        _ produce: @escaping (Viewer) async throws -> Rendered
    ) async throws -> Response {
        let visit = Visit(request, context)
        return try await site.cache.respond(to: request, cacheable: false) {
            do {
                guard let viewer = visit.viewer else { return .redirect(to: SiteURL.login(next: back).path(config)) }
                return try await produce(viewer)
            } catch let error as PageError {
                return try await pages.errorPage(error, visit)
            } catch let refusal as CommunityRefusal {
                var page = try await pages.errorPage(CollectionRoutes.pageError(refusal), visit)
                if let wait = refusal.retryAfter { page.headers[.retryAfter] = String(wait.retryAfterSeconds) }
                return page
            }
        }
    }

    static func pageError(_ refusal: CommunityRefusal) -> PageError {
        PageError(
            status: refusal.status, heading: refusal.status == .notFound ? "Not found" : "Not done",
            message: refusal.message)
    }

    // MARK: The owner's list

    func listPage(
        _ viewer: Viewer, status: HTTPResponse.Status = .ok, problem: String? = nil, form: Form? = nil
    ) async throws -> Rendered {
        let max = CollectionRules.maxPerUser
        let mine = try await site.store.collections(ownerID: viewer.account.id, includePrivate: true, limit: max)
        let model = CollectionsPageModel(
            site: SiteChrome(config), action: SiteURL.collections.path(config), csrf: viewer.csrfToken,
            collections: mine.map { CollectionSummaryView($0, config: config) }, hasCollections: !mine.isEmpty,
            countText: "\(Format.count(mine.count, "collection", "collections")) of at most \(max)",
            canCreate: mine.count < max, problem: problem, formName: form?["name"] ?? "",
            formDescription: form?["description"] ?? "", formPublic: form?["public"] != nil,
            maxName: CollectionRules.maxName, maxDescription: CollectionRules.maxDescription)
        var page = try await pages.html(
            model, "collections", Visit(viewer: viewer, path: SiteURL.collections.path(config)))
        page.status = status
        return page
    }

    func create(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let form = try await Form.read(request)
        guard site.accounts.checkCSRF(viewer, token: form["csrf_token"]) else { throw PageError.csrf }
        do {
            try actions.limitWrites(viewer)
            let created = try await actions.create(
                viewer, name: form["name"], description: form["description"], isPublic: form["public"] != nil)
            return .redirect(to: SiteURL.collection(created.id).path(config))
        } catch let refusal as CommunityRefusal {
            var page = try await listPage(viewer, status: refusal.status, problem: refusal.message, form: form)
            if let wait = refusal.retryAfter { page.headers[.retryAfter] = String(wait.retryAfterSeconds) }
            return page
        }
    }

    // MARK: A collection

    func collectionPage(_ id: String, _ request: Request, _ context: AppRequestContext, _ visit: Visit)
        async throws -> Rendered
    {
        let window = try PageWindow(request)
        let collection: PaperCollection
        do {
            collection = try await actions.visible(id, to: context.viewer)
        } catch let refusal as CommunityRefusal {
            throw CollectionRoutes.pageError(refusal)
        }
        let audience = Audience(role: context.viewer?.account.role)
        let result = try await site.store.papers(
            inCollection: id, audience: audience, offset: window.offset, limit: window.limit)
        let owner = visit.viewer.flatMap { $0.account.id == collection.ownerID ? $0 : nil }
        var cards = result.items.map { CardView($0, config: config) }
        if let owner {
            for index in cards.indices {
                cards[index].collect = .remove(
                    paper: cards[index].vote.paperID, from: id, viewer: owner, next: visit.path, config: config)
            }
        }
        let page = SiteURL.collection(id).path(config)
        let model = CollectionPageModel(
            site: SiteChrome(config),
            feed: collection.isPublic
                ? FeedLink(
                    title: "\(config.siteName): \(collection.name)", url: SiteURL.collectionFeed(id).path(config))
                : nil,
            canonical: collection.isPublic
                ? SiteURL.collection(id).absolute(config) + SiteURL.page(window.page, "?") : nil,
            name: collection.name, description: collection.description.isEmpty ? nil : collection.description,
            owner: SubmitterView(collection.owner, config: config), isPublic: collection.isPublic,
            countText: Format.count(result.total, "paper", "papers"),
            updated: Format.longDate(Day(collection.updatedAt)), isoUpdated: Timestamp.rfc3339(collection.updatedAt),
            bibtexURL: SiteURL.collectionBibTeX(id).path(config),
            feedURL: collection.isPublic ? SiteURL.collectionFeed(id).path(config) : nil,
            cards: cards,
            emptyText: owner == nil
                ? "No papers in this collection yet."
                : "No papers yet. Add papers with the “Save to” form on any paper card or paper page.",
            pagination: window.pagination(total: result.total) { page + SiteURL.page($0, "?") },
            manage: owner.map { owner in
                CollectionManageView(
                    edit: SiteURL.collectionAction(id, CollectionAction.edit.rawValue).path(config),
                    delete: SiteURL.collectionAction(id, CollectionAction.delete.rawValue).path(config),
                    csrf: owner.csrfToken, name: collection.name, description: collection.description,
                    isPublic: collection.isPublic, maxName: CollectionRules.maxName,
                    maxDescription: CollectionRules.maxDescription)
            })
        return try await pages.html(model, "collection", visit)
    }

    /// `/collections/{id}.bib`: every paper of a collection the requester may see, as BibTeX.
    func bibtex(_ id: String, _ viewer: Viewer?) async throws -> Rendered {
        let collection: PaperCollection
        do {
            collection = try await actions.visible(id, to: viewer)
        } catch let refusal as CommunityRefusal {
            return Rendered(status: refusal.status, contentType: Rendered.plain, text: refusal.message + "\n")
        }
        let papers = try await actions.allPapers(of: collection, audience: Audience(role: viewer?.account.role))
        var headers = HTTPFields()
        headers[.contentDisposition] = "inline; filename=\"\(collection.id).bib\""
        return Rendered(
            contentType: CollectionRoutes.bibtexType, text: CollectionRoutes.bibtex(papers.map(\.paper)),
            headers: headers)
    }

    static var bibtexType: String { "text/x-bibtex; charset=utf-8" }

    /// The entries of `papers`, each as the paper page cites it; a citation key that an earlier entry has is made
    /// unique with a letter (`lovelace2026attention`, `lovelace2026attentionb`).
    static func bibtex(_ papers: [Paper]) -> String {
        var seen: Set<String> = []
        var entries: [String] = []
        for paper in papers {
            var entry = Citation.bibtex(paper)
            let open = "@misc{"
            if entry.hasPrefix(open), let comma = entry.firstIndex(of: ",") {
                let key = String(entry[entry.index(entry.startIndex, offsetBy: open.count)..<comma])
                var unique = key
                var suffix = 1
                while seen.contains(unique) {
                    suffix += 1
                    unique = key + CollectionRoutes.letters(suffix)
                }
                seen.insert(unique)
                entry = open + unique + entry[comma...]
            }
            entries.append(entry)
        }
        return entries.isEmpty ? "" : entries.joined(separator: "\n\n") + "\n"
    }

    /// 2 → b, 26 → z, 27 → ab: a suffix for the n-th use of a key.
    static func letters(_ n: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz")
        var n = n - 1
        var out = ""
        repeat {
            out = String(alphabet[n % 26]) + out
            n /= 26
        } while n > 0
        return out
    }

    /// `/feeds/collections/{id}.xml`: a public collection's newest papers; a private or unknown one is 404.
    func feed(_ file: String) async throws -> Rendered {
        let feeds = FeedRoutes(site: site)
        guard file.hasSuffix(".xml") else { return feeds.notFound("No such feed.") }
        let id = String(file.dropLast(4))
        // Public collections only, whoever asks (a feed reader sends no cookie).
        let collection: PaperCollection
        do {
            collection = try await actions.visible(id, to: nil)
        } catch is CommunityRefusal {
            return feeds.notFound("No such feed.")
        }
        let papers = try await site.store.papers(
            inCollection: id, audience: .everyone, offset: 0, limit: FeedRoutes<Store>.size
        ).items
        return feeds.rss(
            title: "\(config.siteName): \(collection.name)", link: SiteURL.collection(id).absolute(config),
            self: SiteURL.collectionFeed(id).absolute(config),
            description: collection.description.isEmpty
                ? "Papers collected by \(collection.owner.fullname)." : collection.description,
            papers: papers)
    }

    // MARK: Forms

    /// `POST /collections/{id}/{action}`, by the collection's owner.
    func perform(_ action: CollectionAction, _ id: String, _ request: Request, _ viewer: Viewer) async throws
        -> Rendered
    {
        let form = try await Form.read(request)
        guard site.accounts.checkCSRF(viewer, token: form["csrf_token"]) else { throw PageError.csrf }
        try actions.limitWrites(viewer)
        let collection = try await actions.owned(id, by: viewer)
        let page = SiteURL.collection(id).path(config)
        switch action {
        case .edit:
            _ = try await actions.update(
                collection, name: form["name"] ?? "", description: form["description"] ?? "",
                isPublic: form["public"] != nil)
            return .redirect(to: page)
        case .delete:
            try await actions.delete(collection)
            return .redirect(to: SiteURL.collections.path(config))
        case .add, .remove:
            let paper = try CollectionActions<Store>.paperID(form["paper"])
            _ = try await actions.setPaper(paper, in: collection, add: action == .add, viewer: viewer)
            return .redirect(to: NextPath.safe(form["next"], config: config) ?? page)
        }
    }

    /// `POST /collections/save`: a card's "Save to…" form (`collection`, `paper`, `next`).
    func save(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let form = try await Form.read(request)
        guard site.accounts.checkCSRF(viewer, token: form["csrf_token"]) else { throw PageError.csrf }
        try actions.limitWrites(viewer)
        let collection = try await actions.owned(form.trimmed("collection") ?? "", by: viewer)
        let paper = try CollectionActions<Store>.paperID(form["paper"])
        _ = try await actions.setPaper(paper, in: collection, add: true, viewer: viewer)
        return .redirect(to: NextPath.safe(form["next"], config: config) ?? SiteURL.paper(paper).path(config))
    }
}
