// PaperboyMail: the SMTP client (SwiftNIO and swift-nio-ssl), MIME messages, and digests: what they hold, how they
// are written, and the sender that walks the subscribers through the send ledger.
