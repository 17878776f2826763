package org.llmri.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.llmri.LlmriException;

/**
 * A [rows, cols] matrix stored row-major in a file (a .npy [time, unit] array, or a 4D NIfTI image whose
 * time points are contiguous volumes), read a block of columns at a time with positional reads. Nothing is
 * memory-mapped, so a reader's resident memory is the block it asked for and never the file. Optionally the
 * logical columns are a sorted subset of the stored ones (the voxels inside a mask).
 */
public final class RowMajorMatrix implements AutoCloseable {
    /** How one stored element is encoded. */
    public enum Element {
        F64(8), F32(4), F16(2), I8(1), U8(1), I16(2), U16(2), I32(4), U32(4), I64(8);

        public final int bytes;

        Element(int bytes) {
            this.bytes = bytes;
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final long dataOffset;
    private final Element element;
    private final ByteOrder order;
    private final long rows;
    private final long storedCols;
    private final double slope;
    private final double inter;
    private final int[] columns; // logical column -> stored column; null for all columns

    private RowMajorMatrix(Path file, FileChannel channel, long dataOffset, Element element, ByteOrder order,
                           long rows, long storedCols, double slope, double inter, int[] columns) {
        this.file = file;
        this.channel = channel;
        this.dataOffset = dataOffset;
        this.element = element;
        this.order = order;
        this.rows = rows;
        this.storedCols = storedCols;
        this.slope = slope;
        this.inter = inter;
        this.columns = columns;
    }

    /**
     * Opens a matrix stored at {@code dataOffset}; values read are {@code stored * slope + inter}.
     * {@code columns}, when not null, lists the stored columns (ascending) that make up the logical matrix.
     */
    public static RowMajorMatrix open(Path file, long dataOffset, Element element, ByteOrder order, long rows,
                                      long storedCols, double slope, double inter, int[] columns) {
        if (rows <= 0 || storedCols <= 0 || rows > Integer.MAX_VALUE) {
            throw new LlmriException(file + ": a matrix of " + rows + " x " + storedCols + " cannot be analysed");
        }
        if (columns == null && storedCols > Integer.MAX_VALUE - 8) {
            throw new LlmriException(file + ": " + storedCols + " columns is more than llmri handles");
        }
        if (columns != null) {
            for (int i = 0; i < columns.length; i++) {
                if (columns[i] < 0 || columns[i] >= storedCols || (i > 0 && columns[i] <= columns[i - 1])) {
                    throw new IllegalArgumentException(file + ": column subset must be ascending stored columns");
                }
            }
        }
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
            long need = dataOffset + rows * storedCols * element.bytes;
            long size = ch.size();
            if (size < need) {
                ch.close();
                throw new LlmriException(file + ": data truncated (" + rows + " x " + storedCols + " values of "
                        + element.bytes + " bytes need " + need + " bytes, the file has " + size + ")");
            }
            return new RowMajorMatrix(file, ch, dataOffset, element, order, rows, storedCols, slope, inter, columns);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new LlmriException(file + ": no such file");
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + AtomicFile.describe(e) + ")", e);
        }
    }

    /** A .npy [rows, cols] array (any dtype {@link Npy} reads). */
    public static RowMajorMatrix ofNpy(Path file) {
        Npy.Header h = Npy.readHeader(file);
        if (h.shape().length != 2) {
            throw new LlmriException(file + ": expected a 2-D [time, unit] array, got shape " + java.util.Arrays.toString(h.shape()));
        }
        Element e = switch (h.dtype()) {
            case F64 -> Element.F64;
            case F32 -> Element.F32;
            case F16 -> Element.F16;
            case I32 -> Element.I32;
            case I64 -> Element.I64;
        };
        return open(file, h.dataOffset(), e, ByteOrder.LITTLE_ENDIAN, h.shape()[0], h.shape()[1], 1, 0, null);
    }

    public Path file() {
        return file;
    }

    public int rows() {
        return (int) rows;
    }

    /** Logical columns. */
    public int cols() {
        return columns == null ? (int) storedCols : columns.length;
    }

    public Element element() {
        return element;
    }

    /**
     * Reads logical columns {@code [col0, col0 + n)} of every row into {@code dst} as [rows][width]
     * (row t at {@code dst[t * width ..]}), as doubles. Thread-safe: positional reads share the channel.
     */
    public void readColumns(int col0, int n, double[] dst, int width) {
        if (n <= 0) return;
        if (col0 < 0 || col0 + n > cols() || width < n || (long) rows * width > dst.length) {
            throw new IllegalArgumentException("block [" + col0 + ", " + (col0 + n) + ") of " + cols() + " columns");
        }
        long s0 = stored(col0), s1 = stored(col0 + n - 1);
        int span = Math.toIntExact(s1 - s0 + 1);
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.multiplyExact(span, element.bytes)).order(order);
        double[] row = columns == null ? null : new double[span];
        for (int t = 0; t < rows; t++) {
            buf.clear();
            long pos = dataOffset + ((long) t * storedCols + s0) * element.bytes;
            try {
                while (buf.hasRemaining()) {
                    int got = channel.read(buf, pos + buf.position());
                    if (got < 0) throw new LlmriException(file + ": unexpected end of file at row " + t);
                }
            } catch (IOException e) {
                throw new LlmriException(file + ": cannot read (" + AtomicFile.describe(e) + ")", e);
            }
            buf.flip();
            if (columns == null) {
                decode(buf, dst, t * width, n);
            } else {
                decode(buf, row, 0, span);
                for (int j = 0; j < n; j++) dst[t * width + j] = row[columns[col0 + j] - (int) s0];
            }
        }
    }

    private long stored(int col) {
        return columns == null ? col : columns[col];
    }

    private void decode(ByteBuffer b, double[] dst, int off, int n) {
        switch (element) {
            case F64 -> b.asDoubleBuffer().get(dst, off, n);
            case F32 -> {
                var fb = b.asFloatBuffer();
                for (int i = 0; i < n; i++) dst[off + i] = fb.get(i);
            }
            case F16 -> {
                var sb = b.asShortBuffer();
                for (int i = 0; i < n; i++) dst[off + i] = Float.float16ToFloat(sb.get(i));
            }
            case I8 -> { for (int i = 0; i < n; i++) dst[off + i] = b.get(i); }
            case U8 -> { for (int i = 0; i < n; i++) dst[off + i] = b.get(i) & 0xff; }
            case I16 -> {
                var sb = b.asShortBuffer();
                for (int i = 0; i < n; i++) dst[off + i] = sb.get(i);
            }
            case U16 -> {
                var sb = b.asShortBuffer();
                for (int i = 0; i < n; i++) dst[off + i] = sb.get(i) & 0xffff;
            }
            case I32 -> {
                var ib = b.asIntBuffer();
                for (int i = 0; i < n; i++) dst[off + i] = ib.get(i);
            }
            case U32 -> {
                var ib = b.asIntBuffer();
                for (int i = 0; i < n; i++) dst[off + i] = ib.get(i) & 0xffffffffL;
            }
            case I64 -> {
                var lb = b.asLongBuffer();
                for (int i = 0; i < n; i++) dst[off + i] = lb.get(i);
            }
        }
        if (slope != 1 || inter != 0) {
            for (int i = 0; i < n; i++) dst[off + i] = dst[off + i] * slope + inter;
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only: nothing is lost
        }
    }
}
