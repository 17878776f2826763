package org.llmri.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.llmri.LlmriException;

/**
 * Streams a [rows, cols] float array to a .npy file row block by row block. The data goes to
 * {@code name.partial} (header already carrying the final shape) and becomes {@code name} only when
 * every row is written, so a killed process never leaves a complete-looking file. A partial file can be
 * reopened with {@link #resume}, which keeps its whole rows and drops a torn last row.
 */
public final class NpyWriter implements AutoCloseable {
    private final Path target;
    private final Path partial;
    private final Npy.Dtype dtype;
    private final long rows;
    private final int cols;
    private final long dataOffset;
    private final FileChannel channel;
    private final ByteBuffer buffer;
    private long rowsWritten;
    private boolean closed;

    private NpyWriter(Path target, Npy.Dtype dtype, long rows, int cols, FileChannel channel, long dataOffset, long rowsWritten) {
        this.target = target;
        this.partial = AtomicFile.partialOf(target);
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
        this.channel = channel;
        this.dataOffset = dataOffset;
        this.rowsWritten = rowsWritten;
        this.buffer = ByteBuffer.allocateDirect((int) Math.max(1L, (long) cols * dtype.bytes)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void checkDtype(Path target, Npy.Dtype dtype) {
        if (dtype != Npy.Dtype.F32 && dtype != Npy.Dtype.F16) {
            throw new IllegalArgumentException(target + ": NpyWriter writes f32 or f16, not " + dtype);
        }
    }

    /** Starts a new file (any earlier partial file is replaced). */
    public static NpyWriter create(Path target, Npy.Dtype dtype, long rows, int cols) {
        checkDtype(target, dtype);
        Path partial = AtomicFile.partialOf(target);
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING);
            byte[] header = Npy.headerBytes(dtype, rows, cols);
            ch.write(ByteBuffer.wrap(header), 0);
            return new NpyWriter(target, dtype, rows, cols, ch, header.length, 0);
        } catch (IOException e) {
            throw new LlmriException(partial + ": cannot write (" + AtomicFile.describe(e) + ")", e);
        }
    }

    /**
     * Reopens {@code target}'s partial file to go on writing, keeping its complete rows; a partial file
     * whose header does not match this shape and type is started afresh.
     */
    public static NpyWriter resume(Path target, Npy.Dtype dtype, long rows, int cols) {
        checkDtype(target, dtype);
        Path partial = AtomicFile.partialOf(target);
        if (!Files.isRegularFile(partial)) return create(target, dtype, rows, cols);
        byte[] header = Npy.headerBytes(dtype, rows, cols);
        try {
            FileChannel ch = FileChannel.open(partial, StandardOpenOption.WRITE, StandardOpenOption.READ);
            ByteBuffer existing = ByteBuffer.allocate(header.length);
            ch.read(existing, 0);
            if (existing.position() < header.length || !Arrays.equals(existing.array(), header)) {
                ch.close();
                return create(target, dtype, rows, cols);
            }
            long rowBytes = (long) cols * dtype.bytes;
            long whole = rowBytes == 0 ? 0 : Math.min(rows, (ch.size() - header.length) / rowBytes);
            ch.truncate(header.length + whole * rowBytes);
            return new NpyWriter(target, dtype, rows, cols, ch, header.length, whole);
        } catch (IOException e) {
            throw new LlmriException(partial + ": cannot reopen (" + AtomicFile.describe(e) + ")", e);
        }
    }

    public long rowsWritten() {
        return rowsWritten;
    }

    public long rows() {
        return rows;
    }

    public Path target() {
        return target;
    }

    /** Appends one row of {@code cols} values from {@code src[off ..]}. */
    public void writeRow(float[] src, int off) {
        if (rowsWritten >= rows) throw new IllegalStateException(target + ": more rows than the declared " + rows);
        put(rowsWritten, src, off);
        rowsWritten++;
    }

    /**
     * Writes row {@code row} (any order; each row once) from {@code src[off ..]}. A file filled this way
     * is resumed by starting it again, not by {@link #resume}.
     */
    public void writeRowAt(long row, float[] src, int off) {
        if (row < 0 || row >= rows) throw new IllegalArgumentException(target + ": row " + row + " outside 0.." + (rows - 1));
        put(row, src, off);
        rowsWritten++;
    }

    private void put(long row, float[] src, int off) {
        buffer.clear();
        if (dtype == Npy.Dtype.F32) {
            buffer.asFloatBuffer().put(src, off, cols);
            buffer.position(cols * 4);
        } else {
            for (int i = 0; i < cols; i++) buffer.putShort(Float.floatToFloat16(src[off + i]));
        }
        buffer.flip();
        long pos = dataOffset + row * cols * dtype.bytes;
        try {
            while (buffer.hasRemaining()) pos += channel.write(buffer, pos);
        } catch (IOException e) {
            throw new LlmriException(partial + ": cannot write (" + AtomicFile.describe(e) + ")", e);
        }
    }

    /** Forces written rows to disk (a resume point). */
    public void sync() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new LlmriException(partial + ": cannot sync (" + AtomicFile.describe(e) + ")", e);
        }
    }

    /** Finishes the file: all rows must have been written; then the partial file is renamed to the target. */
    public void finish() {
        if (rowsWritten != rows) {
            throw new IllegalStateException(target + ": " + rowsWritten + " of " + rows + " rows written");
        }
        try {
            channel.force(false);
            channel.close();
        } catch (IOException e) {
            throw new LlmriException(partial + ": cannot finish (" + AtomicFile.describe(e) + ")", e);
        }
        closed = true;
        AtomicFile.commit(partial, target);
    }

    /** Closes without finishing: the partial file stays for a later {@link #resume}. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // the partial name already marks the file incomplete
        }
    }
}
