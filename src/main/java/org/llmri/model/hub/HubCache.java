package org.llmri.model.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.llmri.LlmriException;

/**
 * One repository's folder in the Hugging Face cache, laid out exactly as huggingface_hub lays it out:
 * <pre>
 * models--org--name/
 *   refs/main                      the commit hash that "main" pointed to when last resolved
 *   blobs/&lt;etag&gt;                   file contents, named by git sha1 (small files) or sha256 (LFS files)
 *   snapshots/&lt;commit&gt;/&lt;file&gt;      relative symlinks ../../blobs/&lt;etag&gt;
 *   .no_exist/&lt;commit&gt;/&lt;file&gt;      empty markers: the file does not exist at that commit
 * .locks/models--org--name/&lt;etag&gt;.lock
 * </pre>
 */
final class HubCache {
    private final Path cacheDir;
    private final ModelRef ref;
    private final Path storage;

    HubCache(Path cacheDir, ModelRef ref) {
        this.cacheDir = cacheDir;
        this.ref = ref;
        this.storage = cacheDir.resolve(ref.cacheFolderName());
    }

    Path storage() {
        return storage;
    }

    /** The commit a revision stands for: itself when it is a hash, else what refs/ recorded. */
    Optional<String> commitOf(String revision) {
        if (ModelRef.isCommit(revision)) return Optional.of(revision);
        Path refFile = storage.resolve("refs").resolve(revision);
        try {
            if (!Files.isRegularFile(refFile)) return Optional.empty();
            String commit = Files.readString(refFile, StandardCharsets.UTF_8).strip();
            return ModelRef.isCommit(commit) ? Optional.of(commit) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Records which commit a branch or tag pointed to; rewrites only when it moved. */
    void writeRef(String revision, String commit) {
        if (revision.equals(commit)) return;
        if (commitOf(revision).filter(commit::equals).isPresent()) return;
        Path refFile = storage.resolve("refs").resolve(revision);
        try {
            Files.createDirectories(refFile.getParent());
            Path tmp = refFile.resolveSibling(refFile.getFileName() + ".partial");
            Files.writeString(tmp, commit, StandardCharsets.UTF_8); // no newline, as huggingface_hub writes it
            moveAtomically(tmp, refFile);
        } catch (IOException e) {
            throw new LlmriException(refFile + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    Path snapshot(String commit) {
        return storage.resolve("snapshots").resolve(commit);
    }

    /** The snapshot entry of a file (a symlink into blobs/). */
    Path pointer(String commit, String file) {
        return snapshot(commit).resolve(file);
    }

    /** True when the snapshot entry exists and leads to a file (a dangling link does not count). */
    boolean has(String commit, String file) {
        return Files.isRegularFile(pointer(commit, file));
    }

    boolean knownMissing(String commit, String file) {
        return Files.exists(storage.resolve(".no_exist").resolve(commit).resolve(file));
    }

    /** Remembers that a file does not exist at a commit, so neither we nor Python ask again. */
    void markMissing(String commit, String file) {
        Path marker = storage.resolve(".no_exist").resolve(commit).resolve(file);
        try {
            Files.createDirectories(marker.getParent());
            Files.createFile(marker);
        } catch (FileAlreadyExistsException e) {
            // already known
        } catch (IOException e) {
            // only a shortcut for later runs; not worth failing for
        }
    }

    Path blob(String etag) {
        return storage.resolve("blobs").resolve(etag);
    }

    Path incomplete(String etag) {
        return storage.resolve("blobs").resolve(etag + ".incomplete");
    }

    Path lockFile(String etag) {
        return cacheDir.resolve(".locks").resolve(ref.cacheFolderName()).resolve(etag + ".lock");
    }

    /** Points the snapshot entry of {@code file} at blob {@code etag} with a relative symlink. */
    void link(String commit, String file, String etag) {
        Path pointer = pointer(commit, file);
        Path blob = blob(etag);
        try {
            Files.createDirectories(pointer.getParent());
            Files.deleteIfExists(pointer);
            try {
                Files.createSymbolicLink(pointer, pointer.getParent().relativize(blob));
            } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
                if (e instanceof FileAlreadyExistsException && has(commit, file)) return; // another process won
                // file systems without symlinks: a copy, as huggingface_hub falls back to
                Files.copy(blob, pointer, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new LlmriException(pointer + ": cannot create the snapshot entry (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Marks the cache folder with a CACHEDIR.TAG (https://bford.info/cachedir/) so backup tools skip it, as
     * huggingface_hub does; best effort.
     */
    void tagCacheDir() {
        Path tag = cacheDir.resolve("CACHEDIR.TAG");
        if (Files.exists(tag)) return;
        try {
            Files.createDirectories(cacheDir);
            Path tmp = Files.createTempFile(cacheDir, "CACHEDIR.TAG", ".partial");
            Files.writeString(tmp, "Signature: 8a477f597d28d172789f06886806bc55\n"
                    + "# This file is a cache directory tag created by llmri (Hugging Face cache layout).\n"
                    + "# For information about cache directory tags, see:\n#\thttps://bford.info/cachedir/\n");
            moveAtomically(tmp, tag);
        } catch (IOException e) {
            // only a hint for backup tools
        }
    }

    static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
