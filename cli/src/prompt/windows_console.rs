//! The Windows console's input mode around the hidden prompt. The prompt switches echo off
//! in the console itself, which outlives this program and is shared with the shell:
//! cmd.exe does not set the mode back, so a Ctrl-C that ended the login mid-prompt would
//! leave the person typing blind. The mode is saved before the prompt and put back by the
//! interrupt handler, as the terminal's settings are on Unix.
//!
//! Getting and setting a console mode has no safe wrapper in std; this module alone in
//! the CLI allows `unsafe`, and each block says what it relies on.
#![allow(unsafe_code)]

use std::fs::File;
use std::os::windows::io::AsRawHandle;
use std::sync::Mutex;

use windows_sys::Win32::System::Console::{GetConsoleMode, SetConsoleMode, CONSOLE_MODE};

/// The console's input (open while saved) and its mode before the prompt.
static SAVED: Mutex<Option<(File, CONSOLE_MODE)>> = Mutex::new(None);

pub fn save() {
    // The console itself, whatever standard input is: the prompt reads CONIN$ too.
    let Ok(console) = File::options().read(true).write(true).open("CONIN$") else { return };
    let mut mode: CONSOLE_MODE = 0;
    // SAFETY: `console` is an open handle for the duration of the call, and
    // GetConsoleMode writes only to `mode`.
    if unsafe { GetConsoleMode(console.as_raw_handle(), &mut mode) } == 0 {
        return; // not a console (redirected): there is nothing to put back
    }
    if let Ok(mut saved) = SAVED.lock() {
        *saved = Some((console, mode));
    }
}

pub fn forget() {
    if let Ok(mut saved) = SAVED.lock() {
        *saved = None;
    }
}

pub fn restore() {
    if let Some((console, mode)) = SAVED.lock().ok().and_then(|mut saved| saved.take()) {
        // SAFETY: `console` is an open handle for the duration of the call; SetConsoleMode
        // reads only its arguments.
        unsafe { SetConsoleMode(console.as_raw_handle(), mode) };
    }
}
