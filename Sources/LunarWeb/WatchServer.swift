import Foundation
import Hummingbird
import Logging
import Lunar
import NIOCore

/// `lunar watch --serve`: one page showing the latest result, updated after every save through
/// Server-Sent Events. It serves its own page and results only — never a file by its path.
///
/// Safe by default: it binds to loopback and then answers only requests whose Host is a
/// loopback name (a web page elsewhere cannot reach it through DNS rebinding). Bound to any
/// other address it requires a random token in every URL, as Jupyter does.
public struct WatchServer: Sendable {
    public var host: String
    public var port: Int
    /// Required in every request's query (`?token=…`); nil on loopback.
    public let token: String?

    public init(host: String = "127.0.0.1", port: Int = 0, token: String? = nil) {
        self.host = host; self.port = port
        self.token = token ?? (WatchServer.isLoopback(host) ? nil : WatchServer.randomToken())
    }

    public static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased()) || host.hasPrefix("127.")
    }

    static func randomToken() -> String {
        (0 ..< 4).map { _ in String(format: "%08x", UInt32.random(in: 0 ... .max)) }.joined()
    }

    /// The page a `lunar watch --serve` serves, and that of `lunar sweep --serve`.
    public enum Page: Sendable {
        case watch(title: String)
        case sweep(title: String)

        var html: String {
            switch self {
            case .watch(let title): return WatchPage.html(title: title)
            case .sweep(let title): return SweepPage.html(title: title)
            }
        }
    }

    /// Serves `page` and `state`'s events until the process is stopped; `onReady` gets the
    /// page's URL (with the bound port, and the token when there is one). `rerun`, when given,
    /// runs the strategy with parameters edited in the page.
    public func run(state: LiveState, page: Page, rerun: (@Sendable ([String: String]) -> Void)?,
                    onReady: @escaping @Sendable (String) -> Void) async throws {
        let router = Router()
        router.add(middleware: Guard(token: token, loopback: WatchServer.isLoopback(host)))
        let page = page.html
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
        router.get("/events") { _, _ in
            let events = state.subscribe()
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                            body: ResponseBody { writer in
                                // A comment first, so the browser knows the stream is open.
                                try await writer.write(ByteBuffer(string: ": lunar\n\n"))
                                for await message in events { try await writer.write(ByteBuffer(string: message)) }
                                try await writer.finish(nil)
                            })
        }
        router.get("/api/symbol/:index") { _, context in
            guard let index = context.parameters.get("index", as: Int.self), let json = try state.symbolJSON(index) else {
                return Response(status: .notFound)
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
        }
        if let rerun { router.post("/api/run") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 16)
            guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                  let params = object["params"] as? [String: Any] else {
                return Response(status: .badRequest, body: ResponseBody(byteBuffer: ByteBuffer(string: "expected {\"params\": {name: value}}")))
            }
            rerun(params.mapValues { "\($0)" })
            return Response(status: .accepted)
        } }
        let token = self.token, host = self.host
        // Requests are not logged: the terminal shows the runs.
        var logger = Logger(label: "lunar.watch")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "lunar"),
                              onServerRunning: { channel in
                                  let port = channel.localAddress?.port ?? 0
                                  // Every address: name the machine, which is what another one would open.
                                  let name = ["0.0.0.0", "::"].contains(host) ? ProcessInfo.processInfo.hostName : host
                                  let shown = name.contains(":") ? "[\(name)]" : name
                                  onReady("http://\(shown):\(port)/" + (token.map { "?token=\($0)" } ?? ""))
                              },
                              logger: logger)
        try await app.runService(gracefulShutdownSignals: [])
    }
}

/// Refuses what the page's server must not answer: a wrong or missing token, and on loopback a
/// Host that is not a loopback name.
struct Guard<Context: RequestContext>: RouterMiddleware {
    let token: String?
    let loopback: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let token, request.uri.queryParameters["token"].map(String.init) != token {
            return Response(status: .forbidden, body: ResponseBody(byteBuffer: ByteBuffer(string: "this server needs the token it printed: open the URL it showed\n")))
        }
        if loopback {
            let authority = request.head.authority ?? ""
            let name = authority.hasPrefix("[") ? String(authority.prefix { $0 != "]" }.dropFirst()) : String(authority.split(separator: ":").first ?? "")
            guard WatchServer.isLoopback(name) else {
                return Response(status: .forbidden, body: ResponseBody(byteBuffer: ByteBuffer(string: "only loopback host names are served\n")))
            }
        }
        return try await next(request, context)
    }
}
