import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process for tests, started with `posix_spawn`, with the part of Foundation's `Process` API the tests use.
///
/// Foundation's `Process.run()` on Linux crashes now and then (a 256-byte over-read of `readdir` entries in
/// `findMaximumOpenFromProcSelfFD`, swift-corelibs-foundation PR #5472), which took the whole test process down in
/// CI. This spawns directly: the child gets its three standard streams and no other descriptor of the test process
/// (`closefrom` in the spawn), so a pipe's reader sees its end when the child exits.
public final class ChildProcess: @unchecked Sendable {
    public var executableURL: URL?
    public var arguments: [String] = []
    /// The child's whole environment; the test process's own when nil.
    public var environment: [String: String]?
    public var currentDirectoryURL: URL?
    /// A `Pipe` or a `FileHandle`; /dev/null when nil.
    public var standardInput: Any?
    public var standardOutput: Any?
    public var standardError: Any?

    public private(set) var processIdentifier: Int32 = 0
    /// The raw wait status once the child was reaped.
    private let reaped = Mutex<Int32?>(nil)

    public init() {}

    public struct SpawnError: Error, CustomStringConvertible {
        public let code: Int32
        public var description: String { "posix_spawn failed: \(String(cString: strerror(code)))" }
    }

    public func run() throws {
        guard let executableURL else { throw SpawnError(code: ENOENT) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var parentEnds: [FileHandle] = []
        for (target, stream, reading) in [
            (Int32(0), standardInput, true), (1, standardOutput, false), (2, standardError, false),
        ] {
            switch stream {
            case let pipe as Pipe:
                let childEnd = reading ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                posix_spawn_file_actions_adddup2(&actions, childEnd.fileDescriptor, target)
                parentEnds.append(childEnd)
            case let handle as FileHandle:
                posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
            default:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", reading ? O_RDONLY : O_WRONLY, 0)
            }
        }
        // glibc 2.34 and 2.29 have these; Swift's Glibc module does not declare them.
        if let closeFrom = Self.glibc("posix_spawn_file_actions_addclosefrom_np", as: CloseFrom.self) {
            _ = closeFrom(&actions, 3)
        }
        if let directory = currentDirectoryURL {
            guard let chdir = Self.glibc("posix_spawn_file_actions_addchdir_np", as: ChangeDirectory.self) else {
                throw SpawnError(code: ENOSYS)
            }
            _ = chdir(&actions, directory.path)
        }
        let argv = ([executableURL.path] + arguments).map { strdup($0) } + [nil]
        let environment = self.environment ?? ProcessInfo.processInfo.environment
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        // The child starts with no signal blocked and default handlers: the spawning thread may be one of
        // Dispatch's, which block every signal, and a mask is inherited, so `terminate()` would never reach it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let code = posix_spawn(&pid, executableURL.path, &actions, &attributes, argv, envp)
        guard code == 0 else { throw SpawnError(code: code) }
        processIdentifier = pid
        // The child has its copies: the parent closes its side of them, so readers see the end when the child exits.
        for handle in parentEnds { try? handle.close() }
    }

    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias ChangeDirectory =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static func glibc<T>(_ name: String, as type: T.Type) -> T? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }

    /// Blocks until the child exits.
    public func waitUntilExit() {
        reaped.withLock { status in
            guard status == nil, processIdentifier > 0 else { return }
            var raw: Int32 = 0
            while waitpid(processIdentifier, &raw, 0) == -1 && errno == EINTR {}
            status = raw
        }
    }

    public var isRunning: Bool {
        reaped.withLock { status in
            guard status == nil, processIdentifier > 0 else { return false }
            var raw: Int32 = 0
            let result = waitpid(processIdentifier, &raw, WNOHANG)
            if result == processIdentifier {
                status = raw
                return false
            }
            return result == 0
        }
    }

    /// Sends SIGTERM.
    public func terminate() {
        if processIdentifier > 0 { kill(processIdentifier, SIGTERM) }
    }

    /// The exit code, or the signal that ended the child (as Foundation's `Process` reports it).
    public var terminationStatus: Int32 {
        let raw = reaped.withLock { $0 } ?? 0
        return raw & 0x7F == 0 ? (raw >> 8) & 0xFF : raw & 0x7F
    }

    public var terminationReason: Process.TerminationReason {
        let raw = reaped.withLock { $0 } ?? 0
        return raw & 0x7F == 0 ? .exit : .uncaughtSignal
    }
}
