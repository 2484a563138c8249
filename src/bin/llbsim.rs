//! `llbsim`: the command-line face of the library. Thin: parse flags, call the library, print.

use std::io::{Read, Write};
use std::process::ExitCode;

use llbsim::{inspect, load_bytes, Entitlements, LoadOptions};

const USAGE: &str = "\
llbsim: simulate BuildKit's LLB solver

USAGE:
    llbsim inspect [--format text|json|dot] [--allow ENTITLEMENT]... FILE|-

FILE may be a binary pb.Definition (llb.WriteTo, buildctl's input), its base64, a
`buildctl debug dump-llb` JSON stream, SLSA provenance with llbDefinition, or
`--call=convertllb,format=json` output. The format is detected.

ENTITLEMENT: network.host, security.insecure (as buildctl --allow).
";

enum OutputFormat {
    Text,
    Json,
    Dot,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("llbsim: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let mut command: Option<String> = None;
    let mut file: Option<String> = None;
    let mut format = OutputFormat::Text;
    let mut opts = LoadOptions::default();
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => {
                print!("{USAGE}");
                return Ok(());
            }
            Long("format") | Short('f') => {
                let v = parser.value().map_err(|e| e.to_string())?;
                format = match v.to_string_lossy().as_ref() {
                    "text" => OutputFormat::Text,
                    "json" => OutputFormat::Json,
                    "dot" => OutputFormat::Dot,
                    other => return Err(format!("unknown --format {other:?} (text, json, dot)")),
                };
            }
            Long("allow") => {
                let v = parser.value().map_err(|e| e.to_string())?;
                opts.entitlements = add_entitlement(opts.entitlements, &v.to_string_lossy())?;
            }
            Value(v) if command.is_none() => command = Some(v.to_string_lossy().into_owned()),
            Value(v) if file.is_none() => file = Some(v.to_string_lossy().into_owned()),
            other => return Err(format!("{}\n\n{USAGE}", other.unexpected())),
        }
    }
    match command.as_deref() {
        Some("inspect") => {}
        Some(other) => return Err(format!("unknown command {other:?}\n\n{USAGE}")),
        None => return Err(format!("no command given\n\n{USAGE}")),
    }
    let Some(path) = file else {
        return Err(format!("inspect needs a FILE (or - for stdin)\n\n{USAGE}"));
    };
    let bytes = read_input(&path)?;
    let graph = load_bytes(&bytes, &opts).map_err(|e| format!("{path}: {e}"))?;
    let out = match format {
        OutputFormat::Text => inspect::text(&graph),
        OutputFormat::Dot => inspect::dot(&graph),
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&inspect::summary(&graph))
                .map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| e.to_string()),
    }
}

fn add_entitlement(mut e: Entitlements, name: &str) -> Result<Entitlements, String> {
    match name {
        "network.host" => e.network_host = true,
        "security.insecure" => e.security_insecure = true,
        other => {
            return Err(format!(
                "unknown entitlement {other:?} (network.host, security.insecure)"
            ))
        }
    }
    Ok(e)
}

fn read_input(path: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading stdin: {e}"))?;
    } else {
        bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(bytes)
}
