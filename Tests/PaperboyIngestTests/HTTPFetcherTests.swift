import AsyncHTTPClient
import Foundation
import Testing

@testable import PaperboyIngest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A listening TCP socket on 127.0.0.1 with a port the system picked, for the test servers here.
enum LoopbackListener {
    static func open(backlog: Int32) throws -> (fd: Int32, port: Int) {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, backlog) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

/// A one-shot HTTP server on 127.0.0.1 that answers the first connection with fixed bytes.
final class OneShotServer: @unchecked Sendable {
    let port: Int
    private let socketFD: Int32
    private let thread: Thread

    init(response: [UInt8]) throws {
        let (fd, port) = try LoopbackListener.open(backlog: 1)
        self.port = port
        socketFD = fd
        thread = Thread {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            // Read the request head, then answer and close.
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, 4096, 0) }
            var sent = 0
            while sent < response.count {
                let n = response[sent...].withUnsafeBytes {
                    send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if n <= 0 { break }
                sent += n
            }
            close(client)
        }
        thread.start()
    }

    deinit { close(socketFD) }
}

@Suite struct HTTPFetcherTests {
    static func fetch(_ response: String, maxBodyBytes: Int) async throws -> String {
        let server = try OneShotServer(response: Array(response.utf8))
        let fetcher = HTTPClientFetcher(
            httpClient: HTTPClient.shared, timeout: .seconds(10), maxBodyBytes: maxBodyBytes)
        let url = URL(string: "http://127.0.0.1:\(server.port)/oai2?verb=ListRecords")!
        do {
            let (status, _, body) = try await fetcher.get(url)
            return "\(status) \(body.count) bytes"
        } catch {
            return "\(error)".replacingOccurrences(of: "\(server.port)", with: "PORT")
        }
    }

    @Test func aBodyOverTheLimitIsRefused() async throws {
        let body = String(repeating: "x", count: 5000)
        let declared = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n" + body
        let refused =
            "bad OAI-PMH response from http://127.0.0.1:PORT/oai2?verb=ListRecords: "
            + "response body larger than the limit of 1000 bytes"
        #expect(try await Self.fetch(declared, maxBodyBytes: 1000) == refused)
        // Without a length the bytes are counted as they come.
        let undeclared = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body
        #expect(try await Self.fetch(undeclared, maxBodyBytes: 1000) == refused)
        #expect(try await Self.fetch(declared, maxBodyBytes: 5000) == "200 5000 bytes")
    }
}
