/// The release of Paperboy this build is (`paperboy --version`, and the version MCP clients see).
public enum PaperboyVersion {
    public static let current = "0.17.0"
}
