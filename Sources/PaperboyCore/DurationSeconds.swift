extension Duration {
    /// The whole duration in seconds, fraction included: for rates and for printing.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
