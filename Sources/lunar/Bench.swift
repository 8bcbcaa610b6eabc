import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the fixed benchmark workloads (use a release build).")
    func run() throws {}
}
