import Foundation
import PaperboyCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A CBLAS library loaded at run time with `dlopen` (nothing is linked at build time).
///
/// Which library: `PAPERBOY_BLAS` = `auto` (the default: BLIS's pthread build, else OpenBLAS, else
/// `libblas.so.3`), `openblas`, `openblas-nocoretype` (OpenBLAS without Paperboy choosing a kernel), `blis`,
/// `blas` (whatever `libblas.so.3` is) or a path to a shared library. BLIS comes first because it measured faster
/// here (AMD EPYC Zen 3, one thread): 75 vs 71 GFLOPS for 256×384×384 and 68 vs 53 GFLOPS for 16×384×384, and a
/// 16-token query took about half the time. Before loading OpenBLAS, `OPENBLAS_CORETYPE` is set from the CPU's
/// features unless it is already set (OpenBLAS reads it once, when it is loaded). Every library is told to use one
/// thread: Paperboy runs one BLAS call per worker thread.
public final class BLASLibrary: @unchecked Sendable {
    public enum Kind: String, Sendable {
        case openBLAS = "OpenBLAS"
        case blis = "BLIS"
        case other = "BLAS"
    }

    typealias SgemmFunction =
        @convention(c) (
            Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
            UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
        ) -> Void

    public let kind: Kind
    /// The path or soname that was loaded.
    public let path: String
    /// Human-readable description, e.g. "OpenBLAS 0.3.21 (core Haswell; OPENBLAS_CORETYPE=Haswell, set by Paperboy)".
    public let description: String
    private let sgemmFunction: SgemmFunction

    private init(kind: Kind, path: String, description: String, sgemm: SgemmFunction) {
        self.kind = kind
        self.path = path
        self.description = description
        self.sgemmFunction = sgemm
    }

    /// The process-wide library, loaded on first use.
    public static var shared: BLASLibrary {
        get throws { try sharedResult.get() }
    }

    private static let sharedResult: Result<BLASLibrary, EmbeddingModelError> = {
        let choice = ProcessInfo.processInfo.environment["PAPERBOY_BLAS"] ?? "auto"
        return Result { () throws(EmbeddingModelError) in try load(choice: choice) }
    }()

    /// The OpenBLAS kernel for this CPU: "SkylakeX" with AVX-512 (F, CD, BW, DQ, VL), "Haswell" with AVX2 and
    /// FMA, otherwise nil (let OpenBLAS decide).
    public static func detectedOpenBLASCoreType(cpuinfo: String? = nil) -> String? {
        let text = cpuinfo ?? (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard let flagsLine = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = flagsLine.firstIndex(of: ":")
        else { return nil }
        let flags = Set(flagsLine[flagsLine.index(after: colon)...].split(separator: " ").map(String.init))
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"].allSatisfy(flags.contains) {
            return "SkylakeX"
        }
        if ["avx2", "fma", "avx"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    static func load(choice: String) throws(EmbeddingModelError) -> BLASLibrary {
        switch choice {
        case "auto", "":
            if let library = loadBLIS() { return library }
            if let library = loadOpenBLAS(chooseCoreType: true) { return library }
            if let library = loadOther("libblas.so.3") { return library }
            throw .blasUnavailable(tried: blisCandidates + ["libopenblas.so.0", "libblas.so.3"])
        case "openblas":
            if let library = loadOpenBLAS(chooseCoreType: true) { return library }
            throw .blasUnavailable(tried: ["libopenblas.so.0"])
        case "openblas-nocoretype":
            if let library = loadOpenBLAS(chooseCoreType: false) { return library }
            throw .blasUnavailable(tried: ["libopenblas.so.0"])
        case "blis":
            if let library = loadBLIS() { return library }
            throw .blasUnavailable(tried: blisCandidates)
        case "blas":
            if let library = loadOther("libblas.so.3") { return library }
            throw .blasUnavailable(tried: ["libblas.so.3"])
        default:
            if let library = loadOther(choice) { return library }
            throw .blasUnavailable(tried: [choice])
        }
    }

    private static func open(_ name: String) -> UnsafeMutableRawPointer? {
        dlopen(name, RTLD_NOW | RTLD_LOCAL)
    }

    private static func symbol<T>(_ handle: UnsafeMutableRawPointer, _ name: String, as type: T.Type) -> T? {
        guard let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: type)
    }

    private static func loadOpenBLAS(chooseCoreType: Bool) -> BLASLibrary? {
        var note: String
        if let existing = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] {
            note = "OPENBLAS_CORETYPE=\(existing), from the environment"
        } else if chooseCoreType, let core = detectedOpenBLASCoreType() {
            setenv("OPENBLAS_CORETYPE", core, 0)
            note = "OPENBLAS_CORETYPE=\(core), set by Paperboy"
        } else {
            note = "OpenBLAS's own kernel choice"
        }
        guard let handle = open("libopenblas.so.0"),
            let sgemm = symbol(handle, "cblas_sgemm", as: SgemmFunction.self)
        else { return nil }
        typealias SetThreads = @convention(c) (Int32) -> Void
        typealias GetString = @convention(c) () -> UnsafePointer<CChar>?
        symbol(handle, "openblas_set_num_threads", as: SetThreads.self)?(1)
        var version = "OpenBLAS"
        if let config = symbol(handle, "openblas_get_config", as: GetString.self)?(),
            case let words =
                String(cString: config).split(separator: " "), words.count >= 2
        {
            version = "OpenBLAS \(words[1])"
        }
        if let core = symbol(handle, "openblas_get_corename", as: GetString.self)?() {
            note = "core \(String(cString: core)); " + note
        }
        return BLASLibrary(kind: .openBLAS, path: "libopenblas.so.0", description: "\(version) (\(note))", sgemm: sgemm)
    }

    /// The pthread build first: `libblis.so.4` may be the OpenMP build (Debian alternatives prefer it).
    static let blisCandidates = ["/usr/lib/x86_64-linux-gnu/blis-pthread/libblis.so.4", "libblis.so.4"]

    private static func loadBLIS() -> BLASLibrary? {
        for name in blisCandidates {
            guard let handle = open(name), let sgemm = symbol(handle, "cblas_sgemm", as: SgemmFunction.self) else {
                continue
            }
            typealias SetThreads = @convention(c) (Int) -> Void
            typealias GetString = @convention(c) () -> UnsafePointer<CChar>?
            typealias ArchID = @convention(c) () -> Int32
            typealias ArchString = @convention(c) (Int32) -> UnsafePointer<CChar>?
            symbol(handle, "bli_thread_set_num_threads", as: SetThreads.self)?(1)
            var description = "BLIS"
            if let version = symbol(handle, "bli_info_get_version_str", as: GetString.self)?() {
                description += " " + String(cString: version)
            }
            var details: [String] = []
            if let archID = symbol(handle, "bli_arch_query_id", as: ArchID.self),
                let archString = symbol(handle, "bli_arch_string", as: ArchString.self),
                let arch = archString(archID())
            {
                details.append(String(cString: arch))
            }
            details.append(name.contains("pthread") ? "pthread" : name)
            return BLASLibrary(
                kind: .blis, path: name, description: description + " (\(details.joined(separator: ", ")))",
                sgemm: sgemm)
        }
        return nil
    }

    private static func loadOther(_ name: String) -> BLASLibrary? {
        guard let handle = open(name), let sgemm = symbol(handle, "cblas_sgemm", as: SgemmFunction.self) else {
            return nil
        }
        typealias SetThreads = @convention(c) (Int32) -> Void
        symbol(handle, "openblas_set_num_threads", as: SetThreads.self)?(1)
        typealias SetBLISThreads = @convention(c) (Int) -> Void
        symbol(handle, "bli_thread_set_num_threads", as: SetBLISThreads.self)?(1)
        return BLASLibrary(kind: .other, path: name, description: "BLAS (\(name))", sgemm: sgemm)
    }

    // MARK: Calls

    static let rowMajor: Int32 = 101
    static let noTrans: Int32 = 111
    static let trans: Int32 = 112

    /// Row-major C = alpha * op(A) * op(B) + beta * C, with op(A) m×k, op(B) k×n.
    @inline(__always)
    func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemmFunction(
            Self.rowMajor, transA ? Self.trans : Self.noTrans, transB ? Self.trans : Self.noTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Measures single-threaded GFLOPS of C[m×n] = A[m×k] · B[n×k]ᵀ (the shape of a linear layer).
    public func measureGFLOPS(m: Int = 256, n: Int = 384, k: Int = 384, seconds: Double = 0.5) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer {
            a.deallocate()
            b.deallocate()
            c.deallocate()
        }
        for i in 0..<(m * k) { a[i] = Float(i % 17) * 0.01 }
        for i in 0..<(n * k) { b[i] = Float(i % 13) * 0.01 }
        func run() {
            sgemm(
                transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k, beta: 0, c: c,
                ldc: n)
        }
        for _ in 0..<3 { run() }
        // NaN, negative or huge durations measure for the shortest or longest time instead of trapping.
        let budget = Duration.milliseconds(seconds.isNaN ? 0 : Int(min(max(seconds, 0), 3_600) * 1000))
        let clock = ContinuousClock()
        var iterations = 0
        let start = clock.now
        var elapsed = Duration.zero
        repeat {
            for _ in 0..<10 { run() }
            iterations += 10
            elapsed = clock.now - start
        } while elapsed < budget
        return 2 * Double(m) * Double(n) * Double(k) * Double(iterations) / elapsed.seconds / 1e9
    }
}
