package org.llmri.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.llmri.LlmriException;

/**
 * An exclusive claim on an output folder for one writer (scan, GLM, study). It is an OS file lock on
 * {@code .llmri.lock} in the folder, so it dies with the process: a kill -9 leaves no stale lock, and the
 * next writer simply takes it. The holder's pid is written into the file so that the refused writer can
 * name it. The file itself stays (deleting it would let two writers lock two different files).
 */
public final class FolderLock implements AutoCloseable {
    public static final String FILE = ".llmri.lock";

    /**
     * Folders this process holds. POSIX drops all of a process's locks on a file when it closes any descriptor
     * of it, so this process never opens the lock file of a folder it holds; it answers from here instead.
     */
    private static final java.util.Map<Path, Thread> HELD = new java.util.concurrent.ConcurrentHashMap<>();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private FolderLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    private static Path key(Path folder) {
        return folder.toAbsolutePath().normalize();
    }

    private static LlmriException busy(Path folder, String pid, String what) {
        return new LlmriException(folder + ": in use by another llmri process (pid " + pid + "); wait for it to finish or choose another folder"
                + " (refused: " + what + ")");
    }

    /** Takes the folder (creating it) for {@code what} (e.g. "scan"), or refuses in one line naming the holder. */
    public static synchronized FolderLock acquire(Path folder, String what) {
        Path key = key(folder);
        if (HELD.containsKey(key)) throw busy(folder, Long.toString(ProcessHandle.current().pid()), what);
        Path file = folder.resolve(FILE);
        FileChannel ch;
        try {
            Files.createDirectories(folder);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new LlmriException(folder + ": cannot write here (" + AtomicFile.describe(e) + ")", e);
        }
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // this very process holds it
        } catch (IOException e) {
            close(ch);
            throw new LlmriException(folder + ": cannot lock (" + AtomicFile.describe(e) + ")", e);
        }
        if (lock == null) {
            String pid = readPid(ch).map(Object::toString).orElse("unknown");
            close(ch);
            throw busy(folder, pid, what);
        }
        try {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + " " + what + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(false);
        } catch (IOException e) {
            close(ch);
            throw new LlmriException(folder + ": cannot write " + FILE + " (" + AtomicFile.describe(e) + ")", e);
        }
        HELD.put(key, Thread.currentThread());
        return new FolderLock(key, ch, lock);
    }

    /** The pid of the process that holds the folder now, or empty when nobody does. Takes nothing. */
    public static Optional<Long> holder(Path folder) {
        if (HELD.containsKey(key(folder))) return Optional.of(ProcessHandle.current().pid());
        Path file = folder.resolve(FILE);
        if (!Files.isRegularFile(file)) return Optional.empty();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock probe;
            try {
                probe = ch.tryLock(0, Long.MAX_VALUE, false);
            } catch (OverlappingFileLockException e) {
                return Optional.of(ProcessHandle.current().pid());
            }
            if (probe != null) {
                probe.release();
                return Optional.empty();
            }
            return Optional.of(readPid(ch).orElse(-1L));
        } catch (IOException e) {
            return Optional.empty(); // a read-only copy cannot be being written by anyone here
        }
    }

    private static Optional<Long> readPid(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(64);
            ch.read(b, 0);
            String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
            int sp = s.indexOf(' ');
            return Optional.of(Long.parseLong(sp < 0 ? s : s.substring(0, sp)));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void close(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing a channel we only read
        }
    }

    /** Whether this lock holds {@code folder} (so work that needs it can check what it was given). */
    public boolean holds(Path folder) {
        return key.equals(key(folder)) && lock.isValid();
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // the channel's close releases it too
        }
        close(channel);
        HELD.remove(key);
    }
}
