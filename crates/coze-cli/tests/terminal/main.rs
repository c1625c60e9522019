//! The terminal experience end to end: markdown rendered on a terminal (a pseudo-terminal from
//! util-linux `script`) versus the exact text into a pipe, completions, the man page.

#[path = "../cli/support.rs"]
#[allow(dead_code)]
mod support;

mod doctor;
mod pty;
mod render;
mod repl;
mod shell;
mod spinner;
