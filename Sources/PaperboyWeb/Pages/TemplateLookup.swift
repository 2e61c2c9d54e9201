import Mustache

// Direct field lookup for the values templates render most often (cards, segments, links). swift-mustache
// otherwise reflects with Mirror on every lookup, which was most of the time of rendering a listing.

extension CardView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "vote": vote
        case "collect": collect
        case "forYou": forYou
        case "source": source
        case "bodyHTML": bodyHTML
        default: nil
        }
    }
}

extension CardBody: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "url": url
        case "titleSegments": titleSegments
        case "authors": authors
        case "moreAuthors": moreAuthors
        case "categories": categories
        case "date": date
        case "isoDate": isoDate
        case "submittedBy": submittedBy
        case "organization": organization
        case "comments": comments
        case "commentsURL": commentsURL
        case "authorParticipating": authorParticipating
        case "code": code
        case "projectPage": projectPage
        case "withdrawn": withdrawn
        case "abstractSegments": abstractSegments
        case "absURL": absURL
        case "pdfURL": pdfURL
        case "similarity": similarity
        default: nil
        }
    }
}

extension SegmentView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "text": text
        case "isMatch": isMatch
        default: nil
        }
    }
}

extension NameLink: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "url": url
        case "last": last
        default: nil
        }
    }
}

extension SiteChrome: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "home": home
        case "search": search
        case "trending": trending
        case "submit": submit
        case "login": login
        case "signup": signup
        case "account": account
        case "stylesheet": stylesheet
        case "script": script
        case "icon": icon
        case "staticRoot": staticRoot
        case "suggest": suggest
        case "dailyFeed": dailyFeed
        case "api": api
        case "query": query
        default: nil
        }
    }
}

/// HTML escaping over UTF-8 bytes: the same five characters as swift-mustache's own escaper, without its
/// character-by-character dictionary lookups (a listing escapes about 100 KB of text). Templates select it
/// with `{{% CONTENT_TYPE: PAPERBOY_HTML}}`.
struct FastHTMLContentType: MustacheContentType {
    static let name = "PAPERBOY_HTML"

    func escapeText(_ text: String) -> String { FastHTMLContentType.escape(text) }

    static func escape(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes -> String in
            guard bytes.contains(where: { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 || $0 == 0x22 || $0 == 0x27 }) else {
                return String(decoding: bytes, as: UTF8.self)
            }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 64)
            for b in bytes {
                switch b {
                case 0x3C: out += [0x26, 0x6C, 0x74, 0x3B]  // &lt;
                case 0x3E: out += [0x26, 0x67, 0x74, 0x3B]  // &gt;
                case 0x26: out += [0x26, 0x61, 0x6D, 0x70, 0x3B]  // &amp;
                case 0x22: out += [0x26, 0x71, 0x75, 0x6F, 0x74, 0x3B]  // &quot;
                case 0x27: out += [0x26, 0x23, 0x33, 0x39, 0x3B]  // &#39;
                default: out.append(b)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

extension VoteView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "paperID": paperID
        case "upvotes": upvotes
        case "login": login
        case "form": form
        default: nil
        }
    }
}

extension VoteForm: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "action": action
        case "paper": paper
        case "csrf": csrf
        case "next": next
        case "upvoted": upvoted
        case "change": change
        case "label": label
        default: nil
        }
    }
}

extension SubmitterView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "username": username
        case "fullname": fullname
        case "avatar": avatar
        case "url": url
        default: nil
        }
    }
}

// Page models: a name a card does not have (an optional left nil, such as `similarity`) is looked up in the page
// around it, so the listing and paper pages answer by name too.

extension ListingPageModel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "feed": feed
        case "canonical": canonical
        case "heading": heading
        case "periods": periods
        case "previousURL": previousURL
        case "previousLabel": previousLabel
        case "nextURL": nextURL
        case "nextLabel": nextLabel
        case "countText": countText
        case "cards": cards
        case "emptyText": emptyText
        case "pagination": pagination
        case "subscribe": subscribe
        default: nil
        }
    }
}

extension PaperPageModel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "feed": feed
        case "canonical": canonical
        case "title": title
        case "shortAbstract": shortAbstract
        case "abstract": abstract
        case "authors": authors
        case "categories": categories
        case "published": published
        case "isoPublished": isoPublished
        case "featured": featured
        case "vote": vote
        case "submittedBy": submittedBy
        case "absURL": absURL
        case "pdfURL": pdfURL
        case "markdownURL": markdownURL
        case "comments": comments
        case "journalRef": journalRef
        case "doi": doi
        case "doiURL": doiURL
        case "reportNo": reportNo
        case "license": license
        case "licenseURL": licenseURL
        case "arxivSubmitter": arxivSubmitter
        case "versions": versions
        case "similar": similar
        case "bibtex": bibtex
        case "hasSimilar": hasSimilar
        case "community": community
        case "collections": collections
        case "sparkline": sparkline
        default: nil
        }
    }
}

extension AccountChrome: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "username": username
        case "fullname": fullname
        case "avatar": avatar
        case "settings": settings
        case "logout": logout
        case "csrf": csrf
        case "collections": collections
        case "forYou": forYou
        case "profile": profile
        case "moderation": moderation
        case "admin": admin
        default: nil
        }
    }
}

extension FeedLink: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "title": title
        case "url": url
        default: nil
        }
    }
}

extension PeriodTab: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "url": url
        case "current": current
        default: nil
        }
    }
}

extension PaginationView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "current": current
        case "count": count
        case "previous": previous
        case "next": next
        default: nil
        }
    }
}

extension VersionView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "url": url
        case "date": date
        case "iso": iso
        case "size": size
        default: nil
        }
    }
}
