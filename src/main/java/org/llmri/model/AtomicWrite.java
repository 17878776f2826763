package org.llmri.model;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.llmri.LlmriException;

/** Writes a file under a temporary name in the same folder and renames it, so no half-written file looks complete. */
final class AtomicWrite {
    private AtomicWrite() {}

    /** Writes the file's content through {@code writer}, which receives the temporary path to fill. */
    interface Writer {
        void write(Path tmp) throws IOException;
    }

    static void bytes(Path target, byte[] data) {
        with(target, tmp -> Files.write(tmp, data));
    }

    static void with(Path target, Writer writer) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            // A fixed name per process (not createTempFile) so the file gets the umask's permissions, not 0600.
            tmp = dir.resolve("." + abs.getFileName() + "." + ProcessHandle.current().pid() + "." + Thread.currentThread().threadId() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
            writer.write(tmp);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new LlmriException(target + ": cannot write (" + e + ")");
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one worth reporting
                }
            }
        }
    }
}
