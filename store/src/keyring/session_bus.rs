//! Whose session bus this is. `DBUS_SESSION_BUS_ADDRESS` comes from the environment, which
//! a repository's `.envrc` can set: a bus served by another user's process would receive
//! every secret `--keyring` stores, and could answer reads with secrets of its choosing.
//! Before any keyring call the bus's socket is asked who serves it (`SO_PEERCRED`), and
//! only a bus of this user is used.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixStream};

use super::KeyringError;

/// Checks that the session bus named by `address` (the variable's value) is served by a
/// process of this user. Only local sockets (`unix:path=`, `unix:abstract=`) are trusted;
/// the first address that connects decides, as libdbus tries them in order.
pub(super) fn check_owner(address: &str) -> Result<(), KeyringError> {
    let me = rustix::process::geteuid().as_raw();
    let mut last = None;
    for one in address.split(';').filter(|one| !one.is_empty()) {
        let socket = match socket_of(one) {
            Ok(socket) => socket,
            Err(problem) => {
                last = Some(problem);
                continue;
            }
        };
        let stream = match UnixStream::connect_addr(&socket) {
            Ok(stream) => stream,
            Err(error) => {
                last = Some(KeyringError::Unavailable(format!("the D-Bus session bus cannot be reached: {error}")));
                continue;
            }
        };
        let owner = rustix::net::sockopt::socket_peercred(&stream)
            .map_err(|error| {
                KeyringError::Unavailable(format!("cannot tell who serves the D-Bus session bus: {error}"))
            })?
            .uid
            .as_raw();
        if owner != me {
            return Err(KeyringError::Unavailable(format!(
                "the D-Bus session bus named by DBUS_SESSION_BUS_ADDRESS is served by another user (uid {owner}), so no secret is given to it or taken from it"
            )));
        }
        return Ok(());
    }
    Err(last.unwrap_or_else(|| KeyringError::Unavailable("DBUS_SESSION_BUS_ADDRESS names no bus".into())))
}

/// The socket of one D-Bus address (`transport:key=value,...`).
fn socket_of(address: &str) -> Result<SocketAddr, KeyringError> {
    let (transport, keys) = address.split_once(':').unwrap_or((address, ""));
    let value = |name: &str| keys.split(',').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')).map(unescape);
    let refused = || {
        KeyringError::Unavailable(format!(
            "the D-Bus session bus address uses `{transport}`; only a local socket (unix:path= or unix:abstract=) is trusted with secrets"
        ))
    };
    if transport != "unix" {
        return Err(refused());
    }
    let unusable = |error: std::io::Error| {
        KeyringError::Unavailable(format!("the D-Bus session bus address is not usable: {error}"))
    };
    match (value("path"), value("abstract")) {
        (Some(path), _) => SocketAddr::from_pathname(std::ffi::OsStr::new(&path)).map_err(unusable),
        (None, Some(name)) => SocketAddr::from_abstract_name(name.as_bytes()).map_err(unusable),
        (None, None) => Err(refused()),
    }
}

/// A D-Bus address value with its `%xx` escapes decoded.
fn unescape(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes.get(at + 1..at + 3).and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_name_local_sockets_only() {
        assert!(socket_of("unix:path=/run/user/1000/bus").unwrap().as_pathname().is_some());
        assert_eq!(
            socket_of("unix:abstract=/tmp/dbus-x%2cy,guid=1").unwrap().as_abstract_name(),
            Some(&b"/tmp/dbus-x,y"[..])
        );
        for refused in ["tcp:host=10.0.0.1,port=1", "unix:tmpdir=/tmp", "autolaunch:"] {
            assert!(socket_of(refused).is_err(), "{refused}");
        }
    }
}
