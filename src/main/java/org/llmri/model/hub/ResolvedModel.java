package org.llmri.model.hub;

import java.nio.file.Path;

/**
 * Where a model's files are: a local folder given as is, or a snapshot folder of the Hugging Face cache.
 *
 * @param dir      the folder holding config.json, tokenizer.json and the weights
 * @param repoId   the Hub repository ({@code org/name}); null for a local folder
 * @param revision the requested revision (branch, tag or commit); null for a local folder
 * @param commit   the commit hash the snapshot belongs to; null for a local folder
 */
public record ResolvedModel(Path dir, String repoId, String revision, String commit) {
    public static ResolvedModel folder(Path dir) {
        return new ResolvedModel(dir, null, null, null);
    }

    public boolean fromHub() {
        return repoId != null;
    }

    /** A short name for logs and sidecars: {@code org/name@commit} or the folder path. */
    public String describe() {
        return fromHub() ? repoId + "@" + commit : dir.toString();
    }
}
