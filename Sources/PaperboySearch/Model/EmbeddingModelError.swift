/// Errors raised while loading or running the sentence embedding model. Every description names the file involved.
public enum EmbeddingModelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The model directory does not exist.
    case missingDirectory(path: String)
    /// A required file is missing from the model directory.
    case missingFile(path: String)
    /// The file exists but could not be opened or mapped.
    case unreadableFile(path: String, reason: String)
    /// The safetensors header (length prefix or JSON) is truncated or malformed.
    case corruptHeader(file: String, reason: String)
    /// The data section is shorter than the header says.
    case truncatedData(file: String, expectedBytes: Int, actualBytes: Int)
    /// A tensor the model needs is not in the file.
    case missingTensor(file: String, name: String)
    /// A tensor has a different shape from the one the model needs.
    case wrongShape(file: String, name: String, shape: [Int], expected: [Int])
    /// A tensor has an element type the reader cannot use for it.
    case unsupportedDType(file: String, name: String, dtype: String, expected: String)
    /// A model file is larger than any file of the model Paperboy runs.
    case fileTooLarge(file: String, limit: Int)
    /// A tensor holds NaN or infinite values.
    case nonFiniteWeights(file: String, name: String)
    /// `config.json` describes a model this implementation does not run.
    case unsupportedConfig(file: String, key: String, found: String, expected: String)
    /// `vocab.txt` is unusable.
    case badVocabulary(file: String, reason: String)
    /// No BLAS library could be loaded at run time.
    case blasUnavailable(tried: [String])

    public var description: String {
        switch self {
        case .missingDirectory(let path):
            return "\(path): model directory not found (run scripts/install-model.sh to install the model)"
        case .missingFile(let path):
            return "\(path): file not found (run scripts/install-model.sh to install the model)"
        case .unreadableFile(let path, let reason):
            return "\(path): cannot read the file: \(reason)"
        case .corruptHeader(let file, let reason):
            return "\(file): corrupt safetensors header: \(reason)"
        case .truncatedData(let file, let expected, let actual):
            return "\(file): file is truncated: the header describes \(expected) bytes of tensor data "
                + "but only \(actual) follow the header"
        case .missingTensor(let file, let name):
            return "\(file): tensor \(name) is missing"
        case .wrongShape(let file, let name, let shape, let expected):
            return "\(file): tensor \(name) has shape \(shape), expected \(expected)"
        case .unsupportedDType(let file, let name, let dtype, let expected):
            return "\(file): tensor \(name) has dtype \(dtype), expected \(expected)"
        case .fileTooLarge(let file, let limit):
            return "\(file): file is larger than \(limit) bytes, more than any file of the model"
        case .nonFiniteWeights(let file, let name):
            return "\(file): tensor \(name) holds NaN or infinite values"
        case .unsupportedConfig(let file, let key, let found, let expected):
            return "\(file): \(key) is \(found), expected \(expected)"
        case .badVocabulary(let file, let reason):
            return "\(file): \(reason)"
        case .blasUnavailable(let tried):
            return "no BLAS library could be loaded (tried \(tried.joined(separator: ", "))); "
                + "install libopenblas0-pthread or libblis4-pthread"
        }
    }
}

/// Token id sequences the encoder cannot run (`SentenceEmbedder.embed(tokenized:)` takes them from callers).
public enum EmbeddingInputError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Sequence `index` of the batch has no token.
    case emptySequence(index: Int)
    /// Sequence `index` has more tokens than the model has positions.
    case sequenceTooLong(index: Int, length: Int, limit: Int)
    /// Sequence `index` holds a token id outside the vocabulary.
    case tokenOutOfRange(index: Int, token: Int32, vocabularySize: Int)

    public var description: String {
        switch self {
        case .emptySequence(let index):
            return "token sequence \(index) is empty"
        case .sequenceTooLong(let index, let length, let limit):
            return "token sequence \(index) has \(length) tokens, more than the model's \(limit) positions"
        case .tokenOutOfRange(let index, let token, let vocabularySize):
            return "token sequence \(index) holds token id \(token), outside the vocabulary of \(vocabularySize)"
        }
    }
}
