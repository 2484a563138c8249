//! The platform an op runs for, as the solver sees it after `NormalizeRuntimePlatforms`
//! (`solver/llbsolver/vertex.go`): a missing platform becomes the daemon's default (a Linux
//! amd64 daemon is modelled), then containerd's `platforms.Normalize` applies.

use crate::llb::pb;

/// The modelled daemon's `platforms.DefaultSpec()`.
pub fn default_platform() -> pb::Platform {
    pb::Platform {
        architecture: "amd64".into(),
        os: "linux".into(),
        variant: String::new(),
        os_version: String::new(),
        os_features: Vec::new(),
    }
}

/// `op.Platform` after `NormalizeRuntimePlatforms`.
pub fn runtime_platform(op: &pb::Op) -> pb::Platform {
    let p = op.platform.clone().unwrap_or_else(default_platform);
    normalize(&p)
}

/// containerd's `platforms.Normalize`.
pub fn normalize(p: &pb::Platform) -> pb::Platform {
    let (architecture, variant) = normalize_arch(&p.architecture, &p.variant);
    let mut os_features = p.os_features.clone();
    os_features.sort();
    os_features.dedup();
    pb::Platform {
        architecture,
        os: normalize_os(&p.os),
        variant,
        os_version: p.os_version.clone(),
        os_features,
    }
}

fn normalize_os(os: &str) -> String {
    if os.is_empty() {
        // runtime.GOOS of the (Linux) daemon.
        return "linux".into();
    }
    let os = os.to_lowercase();
    if os == "macos" {
        "darwin".into()
    } else {
        os
    }
}

fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let arch = arch.to_lowercase();
    let variant = variant.to_lowercase();
    match arch.as_str() {
        "i386" => ("386".into(), String::new()),
        "x86_64" | "x86-64" | "amd64" => {
            let v = if variant == "v1" {
                String::new()
            } else {
                variant
            };
            ("amd64".into(), v)
        }
        "aarch64" | "arm64" => {
            let v = match variant.as_str() {
                "8" | "v8" | "v8.0" => String::new(),
                "9" | "9.0" | "v9.0" => "v9".into(),
                _ => variant,
            };
            ("arm64".into(), v)
        }
        "armhf" => ("arm".into(), "v7".into()),
        "armel" => ("arm".into(), "v6".into()),
        "arm" => {
            let v = match variant.as_str() {
                "" | "7" => "v7".into(),
                "5" | "6" | "8" => format!("v{variant}"),
                _ => variant,
            };
            ("arm".into(), v)
        }
        _ => (arch, variant),
    }
}

/// `os/arch[/variant]`.
pub fn display(p: &pb::Platform) -> String {
    if p.variant.is_empty() {
        format!("{}/{}", p.os, p.architecture)
    } else {
        format!("{}/{}/{}", p.os, p.architecture, p.variant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(os: &str, arch: &str, variant: &str) -> String {
        let p = pb::Platform {
            architecture: arch.into(),
            os: os.into(),
            variant: variant.into(),
            os_version: String::new(),
            os_features: Vec::new(),
        };
        display(&normalize(&p))
    }

    #[test]
    fn containerd_rules() {
        assert_eq!(norm("linux", "x86_64", ""), "linux/amd64");
        assert_eq!(norm("Linux", "AMD64", "v1"), "linux/amd64");
        assert_eq!(norm("linux", "amd64", "v3"), "linux/amd64/v3");
        assert_eq!(norm("linux", "aarch64", ""), "linux/arm64");
        assert_eq!(norm("linux", "arm64", "v8"), "linux/arm64");
        assert_eq!(norm("linux", "arm64", "9.0"), "linux/arm64/v9");
        assert_eq!(norm("linux", "arm", ""), "linux/arm/v7");
        assert_eq!(norm("linux", "arm", "6"), "linux/arm/v6");
        assert_eq!(norm("linux", "armhf", ""), "linux/arm/v7");
        assert_eq!(norm("linux", "armel", "x"), "linux/arm/v6");
        assert_eq!(norm("linux", "i386", "x"), "linux/386");
        assert_eq!(norm("macos", "arm64", ""), "darwin/arm64");
        assert_eq!(norm("", "riscv64", ""), "linux/riscv64");
    }

    #[test]
    fn features_sorted_and_deduplicated() {
        let p = pb::Platform {
            architecture: "amd64".into(),
            os: "windows".into(),
            variant: String::new(),
            os_version: "10.0".into(),
            os_features: vec!["win32k".into(), "a".into(), "win32k".into()],
        };
        assert_eq!(normalize(&p).os_features, vec!["a", "win32k"]);
    }

    #[test]
    fn missing_platform_is_the_daemon_default() {
        let op = pb::Op {
            inputs: Vec::new(),
            op: None,
            platform: None,
            constraints: None,
        };
        assert_eq!(display(&runtime_platform(&op)), "linux/amd64");
    }
}
