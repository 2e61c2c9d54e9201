import CFuzzerDriver
import PaperboyIngest

/// libFuzzer's entry: one input through `FuzzEntry.run(.markdown, _:)`; a broken promise stops the run.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let problems = FuzzEntry.run(.markdown, UnsafeRawBufferPointer(start: data, count: size))
    if !problems.isEmpty { fatalError("markdown: \(problems)") }
    return 0
}

/// The entry point SwiftPM links `main` to (`<module>_main`): libFuzzer's driver with the input function above.
@_cdecl("fuzz_markdown_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) }
}
