import Foundation
import Mustache
import PaperboyCore

/// One of the viewer's collections in a "Save to…" select.
struct CollectionOption {
    let id: String
    let name: String
}

/// A card's collection form for a signed-in viewer (`collect.mustache`): a "Save to…" select of their collections
/// (`POST /collections/save`), or on their own collection's page a button that removes the paper from it. Like the
/// vote control it is rendered outside the shared card body.
struct CollectView {
    let action: String
    let csrf: String
    let paper: String
    let next: String
    /// The viewer's collections, for the select; empty for a remove button.
    let options: [CollectionOption]
    let isRemove: Bool

    /// `POST /collections/save`: the select names the collection.
    static func save(
        paper: PaperID, options: [CollectionOption], viewer: Viewer, next: String, config: WebConfiguration
    ) -> CollectView {
        CollectView(
            action: SiteURL.collectionSave.path(config), csrf: viewer.csrfToken, paper: paper.rawValue, next: next,
            options: options, isRemove: false)
    }

    /// `POST /collections/{id}/remove`, on the owner's page of the collection.
    static func remove(paper: PaperID, from collection: String, viewer: Viewer, next: String, config: WebConfiguration)
        -> CollectView
    {
        CollectView(
            action: SiteURL.collectionAction(collection, CollectionAction.remove.rawValue).path(config),
            csrf: viewer.csrfToken, paper: paper.rawValue, next: next, options: [], isRemove: true)
    }
}

/// The paper page's list of the viewer's collections, each with a button that adds the paper to it or removes it
/// (`papercollections.mustache`), and a link to make a new one.
struct PaperCollectionsView {
    struct Row {
        let name: String
        let url: String
        let action: String
        let contains: Bool
        let isPublic: Bool
    }

    let csrf: String
    let paper: String
    let next: String
    let rows: [Row]
    let hasRows: Bool
    let manage: String
    /// How many of the viewer's collections hold the paper.
    let heldIn: Int
    let held: Bool
}

extension SiteURL {
    /// `POST /collections/save` (`collection`, `paper`, `next`): the cards' "Save to…" form, whose select names the
    /// collection (an HTML form cannot put the selected id in its action). "save" is never a collection id (ids are
    /// 12 characters).
    static var collectionSave: SiteURL { .collection(CollectionAction.save) }
}

/// What a collection's owner posts to: `/collections/{id}/{action}`.
enum CollectionAction: String, CaseIterable {
    case edit
    case delete
    case add
    case remove

    /// The cards' form: `/collections/save`.
    static let save = "save"
}

/// Fills in the collection controls of a page for a signed-in viewer: one store call for the viewer's collections
/// when the page has cards (or is a paper page), and on the paper page one more for the collections that hold its
/// paper.
struct CollectionControls<Store: SiteStore>: Sendable {
    let site: Site<Store>

    func personalize(_ model: inout some PersonalPage, viewer: Viewer, next: String) async throws {
        let config = site.config
        var needsList = false
        model.eachCard { card in
            if card.collect == nil { needsList = true }
        }
        let paper = model.collectionsPaper
        guard needsList || paper != nil else { return }
        let mine = try await site.store.collections(
            ownerID: viewer.account.id, includePrivate: true, limit: CollectionRules.maxPerUser)
        if needsList, !mine.isEmpty {
            let options = mine.map { CollectionOption(id: $0.id, name: $0.name) }
            model.eachCard { card in
                guard card.collect == nil else { return }
                card.collect = .save(
                    paper: card.vote.paperID, options: options, viewer: viewer, next: next, config: config)
            }
        }
        guard let paper else { return }
        let holding =
            mine.isEmpty ? [] : try await site.store.collectionIDs(ownerID: viewer.account.id, containing: paper)
        let rows = mine.map { collection in
            let contains = holding.contains(collection.id)
            let action: CollectionAction = contains ? .remove : .add
            return PaperCollectionsView.Row(
                name: collection.name, url: SiteURL.collection(collection.id).path(config),
                action: SiteURL.collectionAction(collection.id, action.rawValue).path(config), contains: contains,
                isPublic: collection.isPublic)
        }
        model.showCollections(
            PaperCollectionsView(
                csrf: viewer.csrfToken, paper: paper.rawValue, next: next, rows: rows, hasRows: !rows.isEmpty,
                manage: SiteURL.collections.path(config), heldIn: holding.count,
                held: !holding.isEmpty))
    }
}

extension PaperPageModel {
    var collectionsPaper: PaperID? { vote.paperID }

    mutating func showCollections(_ view: PaperCollectionsView) { collections = view }
}

// Direct lookups, as for the other card parts (TemplateLookup.swift): these render on every card of a signed-in page.

extension CollectView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "action": action
        case "csrf": csrf
        case "paper": paper
        case "next": next
        case "options": options
        case "isRemove": isRemove
        default: nil
        }
    }
}

extension CollectionOption: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "name": self.name
        default: nil
        }
    }
}

extension OrganizationView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "fullname": fullname
        case "url": url
        case "avatar": avatar
        default: nil
        }
    }
}
