//! spin-rust is a Spin 1.x HTTP test app (wit-bindgen 0.2 canonical ABI)
//! written in plain Rust std, with no crates: the exports a Rust spin-sdk
//! ≤ 1.3 module has (`handle-http-request`, `canonical_abi_realloc`,
//! `canonical_abi_free`), written out by hand as its generated bindings are.
//!
//! A request whose path ends in /trap panics (the guest traps). Any other
//! request gets 200 with body
//! "spin-rust: route=<spin-component-route> path-info=<spin-path-info> method=<METHOD>\n"
//! and "spin-rust handled <uri>" is printed to stdout.

use std::alloc::{self, Layout};
use std::collections::HashMap;

/// The ABI's method enum, in order.
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// The 28-byte response return area (status, headers option, body option),
/// a static buffer as in generated bindings: the host reads it right after
/// the call.
#[repr(C, align(4))]
struct RetArea([u32; 7]);
static mut RET_AREA: RetArea = RetArea([0; 7]);

/// The canonical ABI's allocator export: the host allocates every argument
/// with it (and the guest owns them).
#[no_mangle]
pub unsafe extern "C" fn canonical_abi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    let layout;
    let ptr = if old_len == 0 {
        if new_len == 0 {
            return align as *mut u8;
        }
        layout = Layout::from_size_align_unchecked(new_len, align);
        alloc::alloc(layout)
    } else {
        layout = Layout::from_size_align_unchecked(old_len, align);
        alloc::realloc(old_ptr, layout, new_len)
    };
    if ptr.is_null() {
        alloc::handle_alloc_error(layout);
    }
    ptr
}

/// Frees what the guest returned (the host calls it after copying the
/// response out).
#[no_mangle]
pub unsafe extern "C" fn canonical_abi_free(ptr: *mut u8, len: usize, align: usize) {
    if len == 0 {
        return;
    }
    alloc::dealloc(ptr, Layout::from_size_align_unchecked(len, align));
}

/// Takes ownership of a host-allocated string (align 1).
unsafe fn take_string(ptr: i32, len: i32) -> String {
    if len == 0 {
        return String::new();
    }
    String::from_utf8(Vec::from_raw_parts(ptr as *mut u8, len as usize, len as usize))
        .expect("spin-rust: a string argument is not UTF-8")
}

/// Takes ownership of a host-allocated list of (string, string) tuples:
/// 16-byte elements {key ptr, key len, value ptr, value len}, align 4.
unsafe fn take_pairs(ptr: i32, count: i32) -> Vec<(String, String)> {
    let mut pairs = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        let t = (ptr as *const i32).add(i * 4);
        pairs.push((take_string(*t, *t.add(1)), take_string(*t.add(2), *t.add(3))));
    }
    if count != 0 {
        canonical_abi_free(ptr as *mut u8, count as usize * 16, 4);
    }
    pairs
}

/// Hands a string to the host: its (ptr, len), leaked until the host frees
/// it with canonical_abi_free.
fn give_string(s: String) -> (u32, u32) {
    let mut b = s.into_bytes().into_boxed_slice();
    let r = (b.as_mut_ptr() as u32, b.len() as u32);
    std::mem::forget(b);
    r
}

struct Request {
    method: String,
    uri: String,
    headers: HashMap<String, String>,
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// The app's handler.
fn handle(req: Request) -> Response {
    let path = req.uri.split('?').next().unwrap_or("");
    if path.ends_with("/trap") {
        panic!("spin-rust: trap requested");
    }
    println!("spin-rust handled {}", req.uri);
    let header = |name: &str| req.headers.get(name).map(String::as_str).unwrap_or("");
    let body = format!(
        "spin-rust: route={} path-info={} method={}\n",
        header("spin-component-route"),
        header("spin-path-info"),
        req.method
    );
    Response {
        status: 200,
        headers: vec![("content-type".to_string(), "text/plain".to_string())],
        body: body.into_bytes(),
    }
}

/// The Spin 1.x HTTP export: the request record flattened into ten i32s,
/// the response returned through RET_AREA.
#[export_name = "handle-http-request"]
pub unsafe extern "C" fn handle_http_request(
    method: i32,
    uri_ptr: i32,
    uri_len: i32,
    headers_ptr: i32,
    headers_len: i32,
    params_ptr: i32,
    params_len: i32,
    body_tag: i32,
    body_ptr: i32,
    body_len: i32,
) -> i32 {
    let req = Request {
        method: METHODS.get(method as usize).copied().unwrap_or("UNKNOWN").to_string(),
        uri: take_string(uri_ptr, uri_len),
        headers: take_pairs(headers_ptr, headers_len).into_iter().collect(),
    };
    drop(take_pairs(params_ptr, params_len));
    if body_tag != 0 && body_len != 0 {
        drop(Vec::from_raw_parts(body_ptr as *mut u8, body_len as usize, body_len as usize));
    }

    let resp = handle(req);

    let count = resp.headers.len();
    let mut tuples: Vec<u32> = Vec::with_capacity(count * 4);
    for (k, v) in resp.headers {
        let (kp, kl) = give_string(k);
        let (vp, vl) = give_string(v);
        tuples.extend_from_slice(&[kp, kl, vp, vl]);
    }
    let tuples = std::mem::ManuallyDrop::new(tuples.into_boxed_slice());
    let (bp, bl) = give_string(String::from_utf8_unchecked(resp.body));
    let ret = std::ptr::addr_of_mut!(RET_AREA.0);
    *ret = [resp.status as u32, 1, tuples.as_ptr() as u32, count as u32, 1, bp, bl];
    ret as i32
}
