//! The LLB capabilities a BuildKit daemon knows (`solver/pb/caps.go` at 73ed6825: every
//! registered cap, all enabled). An op whose metadata asks for any other cap fails to load with
//! `unknown API capability <id>`.

/// Registered capability IDs, sorted. (`soruce.http.uidgid` is BuildKit's own spelling.)
pub const KNOWN_CAPS: &[&str] = &[
    "cache.azblob",
    "cache.gha",
    "cache.s3",
    "constraints",
    "diffop",
    "exec.cgroup",
    "exec.meta.base",
    "exec.meta.cdi",
    "exec.meta.cgroup.parent",
    "exec.meta.linux.resources",
    "exec.meta.network",
    "exec.meta.network.proxy",
    "exec.meta.proxyenv",
    "exec.meta.security",
    "exec.meta.security.devices.v1",
    "exec.meta.setsdefaultpath",
    "exec.meta.ulimit",
    "exec.mount.bind",
    "exec.mount.bind.readwrite-nooutput",
    "exec.mount.cache",
    "exec.mount.cache.content",
    "exec.mount.cache.sharing",
    "exec.mount.secret",
    "exec.mount.selector",
    "exec.mount.ssh",
    "exec.mount.tmpfs",
    "exec.mount.tmpfs.size",
    "exec.secretenv",
    "exec.validexitcode",
    "exporter.image.annotations",
    "exporter.image.attestations",
    "exporter.multiple",
    "exporter.session",
    "exporter.sourcedateepoch",
    "file.base",
    "file.copy.alwaysreplaceexistingdestpaths",
    "file.copy.includeexcludepatterns",
    "file.copy.requiredpaths",
    "file.rm.nofollowsymlink",
    "file.rm.wildcard",
    "file.symlink.create",
    "gc.freespacefilter",
    "history.filter",
    "mergeop",
    "meta.description",
    "meta.exportcache",
    "meta.ignorecache",
    "passthroughop",
    "platform",
    "soruce.http.uidgid",
    "source.buildop.llbfilename",
    "source.git",
    "source.git.bundle",
    "source.git.checkoutbundle",
    "source.git.checksum",
    "source.git.fetchbycommit",
    "source.git.fullurl",
    "source.git.httpauth",
    "source.git.keepgitdir",
    "source.git.knownsshhosts",
    "source.git.mountsshsock",
    "source.git.mtime",
    "source.git.signatureverify",
    "source.git.skipsubmodules",
    "source.git.subdir",
    "source.http",
    "source.http.auth",
    "source.http.checksum",
    "source.http.header",
    "source.http.perm",
    "source.http.signatureverify",
    "source.image",
    "source.image.checksum",
    "source.image.layerlimit",
    "source.image.resolvemode",
    "source.imageblob",
    "source.local",
    "source.local.differ",
    "source.local.excludepatterns",
    "source.local.followpaths",
    "source.local.includepatterns",
    "source.local.metadatatransfer",
    "source.local.sessionid",
    "source.local.sharedkeyhint",
    "source.local.unique",
    "source.ocilayout",
    "source.policy",
    "source.policy.session",
];

/// Whether a daemon would accept `id`.
pub fn is_known(id: &str) -> bool {
    KNOWN_CAPS.binary_search(&id).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn list_is_sorted_and_complete() {
        assert!(super::KNOWN_CAPS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(super::KNOWN_CAPS.len(), 88);
    }
}
