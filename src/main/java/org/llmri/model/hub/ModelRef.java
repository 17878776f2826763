package org.llmri.model.hub;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A model on the Hub: a repository id ({@code org/name}, or a legacy single {@code name}) and a revision
 * (a branch, a tag or a commit hash; default {@code main}), written {@code org/name@revision}.
 */
public record ModelRef(String repoId, String revision) {
    public static final String DEFAULT_REVISION = "main";
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final int MAX_REPO_ID = 96;

    public ModelRef {
        if (!isRepoId(repoId)) throw new IllegalArgumentException("not a repository id: " + repoId);
        if (!isRevision(revision)) throw new IllegalArgumentException("not a revision: " + revision);
    }

    /** Reads {@code org/name[@revision]}; empty when the text is not of that form. */
    public static Optional<ModelRef> parse(String text) {
        if (text == null) return Optional.empty();
        int at = text.indexOf('@');
        String repo = at < 0 ? text : text.substring(0, at);
        String rev = at < 0 ? DEFAULT_REVISION : text.substring(at + 1);
        return isRepoId(repo) && isRevision(rev) ? Optional.of(new ModelRef(repo, rev)) : Optional.empty();
    }

    /** The cache folder name huggingface_hub uses: {@code models--org--name}. */
    public String cacheFolderName() {
        return "models--" + repoId.replace("/", "--");
    }

    /** True when the revision is a full commit hash (so it can never move). */
    public boolean pinned() {
        return isCommit(revision);
    }

    static boolean isCommit(String s) {
        return s != null && COMMIT.matcher(s).matches();
    }

    static boolean isRepoId(String s) {
        if (s == null || s.isEmpty() || s.length() > MAX_REPO_ID || s.contains("--") || s.contains("..")) return false;
        String[] parts = s.split("/", -1);
        if (parts.length > 2) return false;
        for (String p : parts) if (!PART.matcher(p).matches()) return false;
        return true;
    }

    /** Branch and tag names may hold slashes ({@code refs/pr/1}) but no path tricks or control characters. */
    static boolean isRevision(String s) {
        if (s == null || s.isEmpty() || s.length() > 256 || s.startsWith("/") || s.endsWith("/")) return false;
        for (String seg : s.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) return false;
        }
        return s.chars().noneMatch(c -> c < 0x20 || c == 0x7f || c == '\\' || c == '@');
    }

    @Override
    public String toString() {
        return repoId + "@" + revision;
    }
}
