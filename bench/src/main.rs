//! Load generator (filled by the benchmarks issue).

fn main() {
    eprintln!("bench: no workloads yet");
}
