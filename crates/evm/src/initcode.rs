//! Init code that deploys a given runtime as it is, for tests, benches and tools that hold
//! raw bytecode rather than a compiler's output.

/// Init code returning `runtime` (at most 65,535 bytes; longer code is cut to that size).
/// `PUSH2 n, DUP1, PUSH1 12, PUSH1 0, CODECOPY, PUSH1 0, RETURN`, then the runtime.
pub fn deploying(runtime: &[u8]) -> Vec<u8> {
    let runtime = &runtime[..runtime.len().min(0xffff)];
    let n = runtime.len();
    let mut code = vec![
        0x61,
        (n >> 8) as u8,
        n as u8,
        0x80,
        0x60,
        12,
        0x60,
        0x00,
        0x39,
        0x60,
        0x00,
        0xf3,
    ];
    code.extend_from_slice(runtime);
    code
}
