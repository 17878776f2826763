package org.llmri.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.llmri.LlmriException;

/**
 * Writes files so that a reader never sees a half-written one: the bytes go to a temporary name in the
 * same folder ({@code name.partial}), which is renamed over the target only when complete.
 */
public final class AtomicFile {
    private AtomicFile() {}

    /** Something that writes a whole file to a stream. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    /** The temporary name used while {@code target} is being written. */
    public static Path partialOf(Path target) {
        return target.resolveSibling(target.getFileName() + ".partial");
    }

    public static void write(Path target, Writer writer) {
        writeWith(target, tmp -> {
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                writer.writeTo(out);
            }
        });
    }

    /** Something that fills a whole file given its (temporary) path, e.g. through a FileChannel. */
    @FunctionalInterface
    public interface PathWriter {
        void writeTo(Path tmp) throws IOException;
    }

    /** As {@link #write} for writers that need a path rather than a stream. */
    public static void writeWith(Path target, PathWriter writer) {
        Path tmp = partialOf(target);
        try {
            Path parent = target.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.deleteIfExists(tmp);
            writer.writeTo(tmp);
            commit(tmp, target);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new LlmriException(target + ": cannot write (" + describe(e) + ")", e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /**
     * Writes the text unless the file already holds exactly it, so that a rerun leaves finished files
     * (and their times, which later stages compare) alone.
     */
    public static void writeStringIfChanged(Path target, String text) {
        try {
            if (Files.isRegularFile(target) && Files.readString(target).equals(text)) return;
        } catch (IOException | java.io.UncheckedIOException e) {
            // unreadable: write it anew
        }
        writeString(target, text);
    }

    public static void writeString(Path target, String text) {
        write(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** Renames a finished temporary file over its target, atomically where the file system allows. */
    public static void commit(Path tmp, Path target) {
        try {
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new LlmriException(target + ": cannot finish writing (" + describe(e) + ")", e);
        }
    }

    /** A short, human reason for an I/O failure; names a full disk plainly. */
    public static String describe(IOException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("No space left")) return "disk full";
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file or folder";
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (m.contains("Read-only file system")) return "read-only file system";
        if (e instanceof java.nio.file.FileAlreadyExistsException) return "already exists";
        if (e instanceof java.nio.file.NotDirectoryException) return "not a folder";
        if (e instanceof java.nio.file.DirectoryNotEmptyException) return "folder not empty";
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason();
        // the problem in words, never a Java class name
        return e.getMessage() == null ? "input/output error" : m;
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: the .partial name already tells it is incomplete
        }
    }

}
