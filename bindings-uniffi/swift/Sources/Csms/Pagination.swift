// Pagination as AsyncThrowingStreams (issue 18), as Kotlin's Pagination.kt has flows: the
// core's `Paginator` gives each page's input from the result of the one before; `invoke`
// fetches it (so a cancelled task stops the stream's call). A page is fetched only when the
// consumer asks for the next element (`for try await`), so `break` stops early; each stream
// starts from the first page once.
// UNTESTED (written on Linux, no Swift toolchain): compile it on macOS with `swift build`.
import Foundation

extension CsmsClient {
    /// The result JSON of each page of `operation` (`ListSecrets`, `ListSecretVersions`,
    /// `ListSecretEvents`, `ListSecretTask`, `ListResourceInstances`), from `inputJson` (wire
    /// names), until the last page. An operation that does not page is
    /// `CsmsException.Validation` naming `operation`, thrown by the first `next()`.
    ///
    /// ```swift
    /// for try await page in client.pages(operation: "ListSecretVersions", inputJson: #"{"secret_name":"db"}"#) { print(page) }
    /// ```
    public func pages(operation: String, inputJson: String = "{}") -> AsyncThrowingStream<String, Error> {
        let walk = PageWalk(client: self, operation: operation, inputJson: inputJson)
        return AsyncThrowingStream(unfolding: { try await walk.next() })
    }

    /// The pages of `ListSecrets` (`limit` secrets each), from `marker` (the first page when
    /// nil), each a `ListSecretsResult`.
    ///
    /// ```swift
    /// for try await page in client.listSecretsPages(limit: "2") { print(page.secrets?.count ?? 0) }
    /// ```
    public func listSecretsPages(limit: String? = nil, marker: String? = nil,
                                 eventName: String? = nil) -> AsyncThrowingStream<ListSecretsResult, Error> {
        let input: String
        do {
            input = try csmsEncode(ListSecretsPagesInput(limit: limit, marker: marker, eventName: eventName))
        } catch {
            return AsyncThrowingStream<ListSecretsResult, Error> { continuation in continuation.finish(throwing: error) }
        }
        return pages(operation: "ListSecrets", inputJson: input).decoded(ListSecretsResult.self, operation: "ListSecrets")
    }

    /// Every secret of every page of `ListSecrets` (`listSecretsPages`), one by one.
    ///
    /// ```swift
    /// for try await secret in client.allSecrets(limit: "50") { print(secret.name ?? "") }
    /// ```
    public func allSecrets(limit: String? = nil, marker: String? = nil,
                           eventName: String? = nil) -> AsyncThrowingStream<Secret, Error> {
        listSecretsPages(limit: limit, marker: marker, eventName: eventName).items { $0.secrets }
    }
}

extension AsyncThrowingStream where Failure == Error {
    /// The items of each page, one by one, in order (`list`: the page's list member; nil or
    /// empty gives none). `client.listSecretsPages(limit: "2").items { $0.secrets }`.
    public func items<Item>(_ list: @escaping @Sendable (Element) -> [Item]?) -> AsyncThrowingStream<Item, Error> {
        let flat = ItemWalk(pages: self.makeAsyncIterator(), list: list)
        return AsyncThrowingStream<Item, Error>(unfolding: { try await flat.next() })
    }

    /// Each JSON page decoded as `type` (the typed result of `operation`).
    func decoded<Page: Decodable>(_ type: Page.Type, operation: String) -> AsyncThrowingStream<Page, Error>
    where Element == String {
        let walk = ItemWalk<String, Page>(pages: self.makeAsyncIterator(), list: { _ in nil })
        return AsyncThrowingStream<Page, Error>(unfolding: {
            guard let json = try await walk.nextPage() else { return nil }
            return try csmsDecode(type, operation: operation, json: json)
        })
    }
}

/// `ListSecrets`'s input for `listSecretsPages` (wire names).
private struct ListSecretsPagesInput: Encodable {
    let limit: String?
    let marker: String?
    let eventName: String?
    enum CodingKeys: String, CodingKey {
        case limit, marker
        case eventName = "event_name"
    }
}

/// The state of one `pages` stream: its `Paginator`, asked for each page's input. A stream
/// is consumed by one task at a time (AsyncThrowingStream's rule), the lock is for safety.
private final class PageWalk: @unchecked Sendable {
    private let client: CsmsClient
    private let operation: String
    private let inputJson: String
    private var paginator: Paginator?

    init(client: CsmsClient, operation: String, inputJson: String) {
        self.client = client
        self.operation = operation
        self.inputJson = inputJson
    }

    /// The next page's result JSON, nil after the last.
    func next() async throws -> String? {
        if paginator == nil { paginator = try Paginator(operation: operation, inputJson: inputJson) }
        guard let pages = paginator, let input = pages.nextInput() else { return nil }
        let result = try await client.invoke(operation: operation, inputJson: input)
        try pages.advance(resultJson: result)
        return result
    }
}

/// The state of one `items` (or `decoded`) stream: the pages' iterator and the items of the
/// current page not yet given.
private final class ItemWalk<Page, Item>: @unchecked Sendable {
    private var pages: AsyncThrowingStream<Page, Error>.Iterator
    private let list: (Page) -> [Item]?
    private var pending: [Item] = []

    init(pages: AsyncThrowingStream<Page, Error>.Iterator, list: @escaping (Page) -> [Item]?) {
        self.pages = pages
        self.list = list
    }

    /// The next page, nil after the last.
    func nextPage() async throws -> Page? {
        var iterator = pages  // a handle on the stream's storage: copying it is cheap
        defer { pages = iterator }
        return try await iterator.next()
    }

    /// The next item, fetching pages until one has any; nil after the last page.
    func next() async throws -> Item? {
        while pending.isEmpty {
            guard let page = try await nextPage() else { return nil }
            pending = list(page) ?? []
        }
        return pending.removeFirst()
    }
}
