//! Conformance checks (filled in by the Engine.IO issue).
