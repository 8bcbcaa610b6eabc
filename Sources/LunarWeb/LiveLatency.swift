import Foundation
import Lunar

/// W6-web: from a strategy file's save to the new result's data arriving at a page of
/// `lunar watch --serve` — the whole path: the watch loop's run, the payload, the server, the
/// event stream, read by a client over loopback as a browser's EventSource reads it.
public enum LiveLatency {
    /// W6's edits (`WatchLatency.measure`), each timed from the save to the end of its `result`
    /// event at a client of the page's event stream.
    public static func measure(strategyPath: String, panel: Panel, options: BacktestOptions, edits: Int,
                               from: String, to: String) throws -> [Double] {
        try WatchLatency.measure(strategyPath: strategyPath, panel: panel, options: options, edits: edits, from: from, to: to) { watcher in
            let state = LiveState()
            Thread { watcher.run { state.publish($0) } }.start()
            let address = Mailbox<String>()
            let server = WatchServer(host: "127.0.0.1", port: 0)
            let task = Task { try await server.run(state: state, page: .watch(title: "w6-web"), rerun: nil) { address.put($0) } }
            guard let url = address.take(timeout: 30), let port = Int(url.split(separator: ":").last?.filter(\.isNumber) ?? "") else {
                task.cancel()
                throw DataError.invalid("W6-web: the server did not start")
            }
            let client = try EventClient(port: port)
            return ({ client.waitForResults($0, timeout: 60) }, { client.close(); task.cancel() })
        }
    }
}

/// One value handed from one thread to another.
final class Mailbox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSCondition()
    private var value: Value?
    func put(_ v: Value) { lock.lock(); value = v; lock.broadcast(); lock.unlock() }
    func take(timeout: Double) -> Value? {
        lock.lock(); defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while value == nil && lock.wait(until: deadline) {}
        return value
    }
}

/// A minimal Server-Sent Events client on a socket: counts the `result` events fully received.
final class EventClient: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSCondition()
    private var results = 0
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { throw DataError.invalid("W6-web: cannot connect to 127.0.0.1:\(port)") }
        let request = "GET /events HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        Thread { [self] in read() }.start()
    }

    private func read() {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let marker = Array("event: result\ndata: ".utf8), end = Array("\n\n".utf8)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return }
            lock.lock()
            buffer += chunk[0 ..< n]
            // Count each result event once its blank line has arrived, and drop what is counted.
            while let m = buffer.firstRange(of: marker), let e = buffer[m.upperBound...].firstRange(of: end) {
                results += 1
                buffer.removeSubrange(0 ..< e.upperBound)
            }
            lock.broadcast()
            lock.unlock()
        }
    }

    func waitForResults(_ n: Int, timeout: Double) -> Bool {
        lock.lock(); defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while results < n { if !lock.wait(until: deadline) { return results >= n } }
        return true
    }

    func close() { shutdown(fd, Int32(SHUT_RDWR)); Glibc.close(fd) }
}
