import Foundation

/// Reads a secret setting: from the file `--NAME-file PATH` names (twin `PAPERBOY_NAME_FILE`), or the value itself
/// from `PAPERBOY_NAME`, which only the environment gives: a secret never goes on a command line, where any user
/// of the machine can read it. Messages name the setting, never the secret.
enum SecretSetting {
    /// The largest secret file read.
    static let maxFileBytes = 64 << 10

    /// The secret's bytes (a file's without its trailing line breaks), or nil when neither way is set.
    /// `minimumBytes` is the shortest secret accepted; `what` names it in messages.
    static func read(_ name: String, file given: String?, minimumBytes: Int, what: String = "secret")
        throws(SettingError) -> [UInt8]?
    {
        let fileFlag = name + "-file"
        let fileSetting = "--\(fileFlag) (\(Settings.environmentName(fileFlag)))"
        let variable = Settings.environmentName(name)
        let path = Settings.string(fileFlag, given)
        let value = Settings.string(name, nil)
        switch (path, value) {
        case (nil, nil):
            return nil
        case (.some, .some):
            throw SettingError(setting: "\(fileSetting) and \(variable)", problem: "both are set; set one of them")
        case (.some(let path), nil):
            let bytes = try trimmed(readFile(path, setting: fileSetting))
            guard bytes.count >= minimumBytes else {
                throw SettingError(
                    setting: fileSetting,
                    problem: "“\(path)” holds \(bytes.count) bytes; the \(what) must be at least \(minimumBytes)")
            }
            return bytes
        case (nil, .some(let value)):
            let bytes = Array(value.utf8)
            guard bytes.count >= minimumBytes else {
                throw SettingError(
                    setting: variable,
                    problem: "the value is \(bytes.count) bytes; the \(what) must be at least \(minimumBytes)")
            }
            return bytes
        }
    }

    /// A secret sent in an HTTP header (a bearer token): printable ASCII without spaces, at least `minimumBytes`.
    static func token(_ name: String, file given: String?, minimumBytes: Int) throws(SettingError) -> String? {
        guard let bytes = try read(name, file: given, minimumBytes: minimumBytes, what: "token") else { return nil }
        guard bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            let setting =
                Settings.string(name + "-file", given) == nil
                ? Settings.environmentName(name) : "--\(name)-file (\(Settings.environmentName(name + "-file")))"
            throw SettingError(setting: setting, problem: "the token must be printable ASCII without spaces")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The file's bytes, at most ``maxFileBytes``.
    private static func readFile(_ path: String, setting: String) throws(SettingError) -> [UInt8] {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
        } catch {
            let reason = (error as? CocoaError)?.code == .fileReadNoSuchFile ? "no such file" : "cannot be read"
            throw SettingError(setting: setting, problem: "“\(path)”: \(reason)")
        }
        guard data.count <= maxFileBytes else {
            throw SettingError(setting: setting, problem: "“\(path)” is larger than \(maxFileBytes >> 10) KB")
        }
        return Array(data)
    }

    /// Without trailing line breaks (`\n`, `\r\n`), as an editor or `echo` leaves them.
    private static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        return Array(bytes[..<end])
    }
}
