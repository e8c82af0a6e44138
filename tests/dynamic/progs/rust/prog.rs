// What rustc hands a linker that C does not: std's rlibs (non-ELF lib.rmeta members), a
// section per function under --gc-sections, TLS (thread_local!), unwinding through .eh_frame
// (catch_unwind), threads and channels, libc's `environ` read directly (std::env::vars).
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::mpsc;
use std::thread;

thread_local!(static TL: Cell<u64> = Cell::new(7));

fn main() {
    let (tx, rx) = mpsc::channel();
    let workers: Vec<_> = (0..4u64).map(|i| {
        let tx = tx.clone();
        thread::spawn(move || {
            TL.with(|c| c.set(c.get() + i));
            tx.send((i, TL.with(|c| c.get()))).unwrap();
        })
    }).collect();
    drop(tx);
    for w in workers { w.join().unwrap(); }
    let mut got: Vec<_> = rx.iter().collect();
    got.sort();
    println!("threads {:?} main-tl {}", got, TL.with(|c| c.get()));
    let r = std::panic::catch_unwind(|| { if got.len() == 4 { panic!("boom {}", 42); } 1 });
    println!("caught: {}", r.is_err());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let oob = std::panic::catch_unwind(|| { let a = [1, 2, 3]; a[args.len() + 5] });
    println!("out of bounds caught: {}", oob.is_err());
    let p = std::env::temp_dir().join(format!("xld-rust-{}", std::process::id()));
    std::fs::write(&p, b"hello file").unwrap();
    println!("fs: {}", std::fs::read_to_string(&p).unwrap());
    std::fs::remove_file(&p).unwrap();
    std::env::set_var("XLD_RUST_SET", "yes");         // setenv in libc; vars() reads environ
    println!("args {:?} env {:?}", args, std::env::vars().filter(|(k, _)| k == "XLD_RUST_SET").collect::<Vec<_>>());
    let mut words = BTreeMap::new();
    for w in "a b a c b a".split(' ') { *words.entry(w).or_insert(0) += 1; }
    println!("{:?} {:>8.3} {:#x} {:e}", words, 3.14159f64, 255u32, 1234.5f32);
    std::process::exit(3 + args.len() as i32);
}
