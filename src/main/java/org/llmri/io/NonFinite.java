package org.llmri.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.llmri.LlmriException;

/**
 * Finds NaN and Inf in [time, unit] data before it is fitted: one NaN turns a unit's statistic into NaN,
 * which then drops out of every threshold without a word. {@link #mask} writes a copy with such units set
 * to 0 everywhere, so the GLM treats them as constant units and leaves them out of the tests.
 */
public final class NonFinite {
    private NonFinite() {}

    /** Units holding at least one non-finite value, and how many values those are. */
    public record Found(boolean[] units, int unitCount, long values, int firstUnit, int firstRow) {
        public boolean any() {
            return unitCount > 0;
        }

        /** Marks the units of {@code other} too (e.g. across the runs of one task). */
        public Found or(Found other) {
            boolean[] u = units.clone();
            int n = 0;
            for (int i = 0; i < u.length; i++) if (u[i] |= other.units[i]) n++;
            return new Found(u, n, values + other.values, any() ? firstUnit : other.firstUnit, any() ? firstRow : other.firstRow);
        }
    }

    /** Reads every value of an .npy [time, unit] file once. */
    public static Found scan(Path npy) {
        try (RowMajorMatrix m = RowMajorMatrix.ofNpy(npy)) {
            int rows = m.rows(), cols = m.cols();
            boolean[] bad = new boolean[cols];
            int block = Math.max(1, Math.min(cols, (1 << 22) / rows));
            double[] buf = new double[rows * block];
            long values = 0;
            int count = 0, firstUnit = -1, firstRow = -1;
            for (int c0 = 0; c0 < cols; c0 += block) {
                int n = Math.min(block, cols - c0);
                m.readColumns(c0, n, buf, block);
                for (int t = 0; t < rows; t++) {
                    for (int j = 0; j < n; j++) {
                        if (Double.isFinite(buf[t * block + j])) continue;
                        values++;
                        if (!bad[c0 + j]) {
                            bad[c0 + j] = true;
                            count++;
                        }
                        if (firstUnit < 0 || (t < firstRow)) {
                            firstUnit = c0 + j;
                            firstRow = t;
                        }
                    }
                }
            }
            return new Found(bad, count, values, firstUnit, firstRow);
        }
    }

    /** Copies {@code npy} to {@code to} with the marked units set to 0 in every row (float types only). */
    public static void mask(Path npy, Path to, boolean[] units) {
        Npy.Header h = Npy.readHeader(npy);
        if (h.dtype() != Npy.Dtype.F32 && h.dtype() != Npy.Dtype.F64 && h.dtype() != Npy.Dtype.F16) {
            throw new LlmriException(npy + ": only floating-point data can hold NaN or Inf");
        }
        long rows = h.shape()[0], cols = h.shape()[1];
        int bytes = h.dtype().bytes;
        AtomicFile.writeWith(to, tmp -> {
            Files.copy(npy, tmp, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer zero = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (long t = 0; t < rows; t++) {
                    for (int u = 0; u < units.length; u++) {
                        if (!units[u]) continue;
                        zero.clear();
                        ch.write(zero, h.dataOffset() + (t * cols + u) * bytes);
                    }
                }
            }
        });
    }
}
