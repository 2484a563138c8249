//! Vertex display names (BuildKit's `vertex.Name` and `llbOpName`, facts §3).

use crate::llb::{pb, CUSTOM_NAME};

/// The name BuildKit shows for `op`: `llb.customname` when the key exists (even if empty),
/// otherwise one derived from the op. `input_name(i)` gives the display name of input `i`
/// (merge and diff names are built from them).
pub fn display_name<'a>(
    op: &pb::Op,
    metadata: &pb::OpMetadata,
    input_name: impl Fn(usize) -> Option<&'a str>,
) -> String {
    if let Some(name) = metadata.description.get(CUSTOM_NAME) {
        return name.clone();
    }
    match &op.op {
        Some(pb::OpKind::Source(s)) => s.identifier.clone(),
        Some(pb::OpKind::Exec(e)) => e
            .meta
            .as_ref()
            .map(|m| m.args.join(" "))
            .unwrap_or_default(),
        Some(pb::OpKind::File(f)) => file_op_name(&f.actions),
        Some(pb::OpKind::Build(_)) => "build".to_string(),
        Some(pb::OpKind::Merge(_)) => {
            let names: Vec<&str> = (0..op.inputs.len())
                .map(|i| input_name(i).unwrap_or(""))
                .collect();
            format!("merge ({})", names.join(", "))
        }
        Some(pb::OpKind::Diff(d)) => {
            let side = |input: Option<i64>| match input {
                Some(-1) | None => "scratch".to_string(),
                Some(i) => {
                    let name = usize::try_from(i).ok().and_then(&input_name).unwrap_or("");
                    format!("({name})")
                }
            };
            format!(
                "diff {} -> {}",
                side(d.lower.as_ref().map(|l| l.input)),
                side(d.upper.as_ref().map(|u| u.input))
            )
        }
        Some(pb::OpKind::Passthrough(p)) => format!("passthrough {}", p.id),
        None => "unknown".to_string(),
    }
}

/// One fragment per file action, joined with `", "`.
fn file_op_name(actions: &[pb::FileAction]) -> String {
    let parts: Vec<String> = actions
        .iter()
        .filter_map(|a| match &a.action {
            Some(pb::FileActionKind::Mkdir(m)) => Some(format!("mkdir {}", m.path)),
            Some(pb::FileActionKind::Mkfile(m)) => Some(format!("mkfile {}", m.path)),
            Some(pb::FileActionKind::Symlink(s)) => {
                Some(format!("symlink {} -> {}", s.newpath, s.oldpath))
            }
            Some(pb::FileActionKind::Rm(r)) => Some(format!("rm {}", r.path)),
            Some(pb::FileActionKind::Copy(c)) => Some(format!("copy {} {}", c.src, c.dest)),
            None => None,
        })
        .collect();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(custom: Option<&str>) -> pb::OpMetadata {
        let mut m = pb::OpMetadata::default();
        if let Some(c) = custom {
            m.description.insert(CUSTOM_NAME.into(), c.into());
        }
        m
    }

    fn exec(args: &[&str]) -> pb::Op {
        pb::Op {
            op: Some(pb::OpKind::Exec(pb::ExecOp {
                meta: Some(pb::Meta {
                    args: args.iter().map(|s| s.to_string()).collect(),
                    ..Default::default()
                }),
                ..Default::default()
            })),
            ..Default::default()
        }
    }

    #[test]
    fn custom_name_wins_even_when_empty() {
        assert_eq!(
            display_name(&exec(&["sh", "-c", "x"]), &md(Some("")), |_| None),
            ""
        );
        assert_eq!(
            display_name(&exec(&["sh", "-c", "x"]), &md(None), |_| None),
            "sh -c x"
        );
    }

    #[test]
    fn merge_and_diff_use_input_names() {
        let two = vec![pb::Input::default(), pb::Input::default()];
        let names = ["A", "B"];
        let merge = pb::Op {
            inputs: two.clone(),
            op: Some(pb::OpKind::Merge(pb::MergeOp::default())),
            ..Default::default()
        };
        assert_eq!(
            display_name(&merge, &md(None), |i| names.get(i).copied()),
            "merge (A, B)"
        );
        let diff = pb::Op {
            inputs: two,
            op: Some(pb::OpKind::Diff(pb::DiffOp {
                lower: Some(pb::LowerDiffInput { input: -1 }),
                upper: Some(pb::UpperDiffInput { input: 1 }),
            })),
            ..Default::default()
        };
        assert_eq!(
            display_name(&diff, &md(None), |i| names.get(i).copied()),
            "diff scratch -> (B)"
        );
    }

    #[test]
    fn file_actions_summarised() {
        let act = |a| pb::FileAction {
            action: Some(a),
            ..Default::default()
        };
        let op = pb::Op {
            op: Some(pb::OpKind::File(pb::FileOp {
                actions: vec![
                    act(pb::FileActionKind::Mkdir(pb::FileActionMkDir {
                        path: "/a".into(),
                        ..Default::default()
                    })),
                    act(pb::FileActionKind::Symlink(pb::FileActionSymlink {
                        oldpath: "o".into(),
                        newpath: "n".into(),
                        ..Default::default()
                    })),
                    act(pb::FileActionKind::Copy(pb::FileActionCopy {
                        src: "/s".into(),
                        dest: "/d".into(),
                        ..Default::default()
                    })),
                ],
            })),
            ..Default::default()
        };
        assert_eq!(
            display_name(&op, &md(None), |_| None),
            "mkdir /a, symlink n -> o, copy /s /d"
        );
    }
}
