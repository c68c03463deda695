//! Items the SDK's macros (`dispatch!`, `#[derive(Cbor)]`) expand to. Not an API.

pub use alloc::vec::Vec;

/// Aborts with `USR_UNHANDLED_MESSAGE` and a message naming the method number.
#[cfg(target_arch = "wasm32")]
pub fn unhandled_method(method: u64) -> ! {
    let mut msg = alloc::string::String::from("unhandled method ");
    let mut digits = [0u8; 20];
    let mut n = method;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    msg.push_str(core::str::from_utf8(&digits[i..]).unwrap_or("?"));
    crate::abort(crate::USR_UNHANDLED_MESSAGE, &msg)
}
