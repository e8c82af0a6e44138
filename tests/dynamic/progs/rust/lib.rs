// A cdylib (rustc's version script exports only these) and a staticlib for C programs.
use std::cell::RefCell;
thread_local!(static ACC: RefCell<Vec<i64>> = RefCell::new(Vec::new()));

#[no_mangle]
pub extern "C" fn rs_push(v: i64) -> i64 {
    ACC.with(|a| { a.borrow_mut().push(v); a.borrow().iter().sum() })
}

#[no_mangle]
pub extern "C" fn rs_safe_div(a: i64, b: i64) -> i64 {
    std::panic::catch_unwind(|| a / b).unwrap_or(-1)
}

#[no_mangle]
pub extern "C" fn rs_threads(n: i64) -> i64 {
    let hs: Vec<_> = (0..n).map(|i| std::thread::spawn(move || i * i)).collect();
    hs.into_iter().map(|h| h.join().unwrap()).sum()
}

#[no_mangle]
pub extern "C" fn rs_fmt(x: f64) {
    println!("rust says {:.3} args {}", x, std::env::args().count());
}
