//! Prints which authorities the drivers would trust on this machine, and how long reading
//! them took: `cargo run -p skytells-auth-tls --example trusted_roots`.

fn main() {
    let started = std::time::Instant::now();
    let roots = skytells_auth_tls::TrustedRoots::from_machine();
    let elapsed = started.elapsed();
    println!(
        "{} authorities from {} in {:.2} ms",
        roots.certificates().len(),
        roots.source(),
        elapsed.as_secs_f64() * 1e3
    );
    for problem in roots.problems() {
        println!("problem: {problem}");
    }
}
