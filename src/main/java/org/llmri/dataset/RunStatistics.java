package org.llmri.dataset;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import org.llmri.LlmriException;
import org.llmri.io.AtomicFile;
import org.llmri.io.Npy;

/**
 * One run's fused statistics: for every prompt p and unit u, the sum and the sum of squares of the unit's
 * values over the prompt's time points. They are sufficient for everything the default analysis reads:
 * prompt means (the prompt-level test, its permutations and the overlap null), block and condition means
 * and the run's per-unit sums (decoding). The scanner accumulates them while rows stream, so the scan is
 * the only pass over the data and the activations need not be stored at all ({@code --store none}).
 *
 * <p>File: {@code <run prefix>_promptstats.npy}, float64 [2, prompts, units]: [0] the sums, [1] the sums of
 * squares. Each prompt's count of time points is its events row's duration. Sums run in time order within a
 * prompt, in float64, over the values as stored (rounded to f16 first when the scan stores f16), so the
 * numbers equal those computed from the stored activations afterwards, to the bit.
 *
 * <p>Memory: 16 bytes per prompt and unit (2 × float64), whatever the number of time points.
 */
public record RunStatistics(int units, int[] counts, double[] sums, double[] sumSquares) {
    public RunStatistics {
        long cells = (long) counts.length * units;
        if (sums.length != cells || sumSquares.length != cells) throw new IllegalArgumentException("sums are not prompts x units");
    }

    public int prompts() {
        return counts.length;
    }

    /** Heap bytes the statistics of one run hold: 16 per prompt and unit. */
    public static long bytes(long prompts, long units) {
        return 16 * prompts * units;
    }

    /** Unit u's mean over prompt p's time points, as the prompt-level test computes it (sum, then times 1/n). */
    public double mean(int p, int u) {
        return sums[p * units + u] * (1.0 / counts[p]);
    }

    /** Collects a run's statistics row by row, as the scanner records them. */
    public static final class Accumulator {
        private final int units;
        private final int[] expected, counts;
        private final double[] sums, squares;
        private final boolean f16;

        /**
         * @param durations each prompt's number of time points
         * @param f16       the rows are stored as f16: accumulate the stored (rounded) values
         */
        public Accumulator(int[] durations, int units, boolean f16) {
            long cells = (long) durations.length * units;
            if (cells > Integer.MAX_VALUE - 8) {
                throw new LlmriException(durations.length + " prompts x " + units + " units are too many for one run's statistics");
            }
            this.units = units;
            this.expected = durations.clone();
            this.counts = new int[durations.length];
            this.sums = new double[(int) cells];
            this.squares = new double[(int) cells];
            this.f16 = f16;
        }

        /** Adds the next time point of prompt {@code prompt} (time points of one prompt must come in order). */
        public void add(int prompt, float[] row, int offset) {
            int base = prompt * units;
            double[] s = sums, q = squares;
            if (f16) {
                for (int u = 0; u < units; u++) {
                    double v = Float.float16ToFloat(Float.floatToFloat16(row[offset + u]));
                    s[base + u] += v;
                    q[base + u] += v * v;
                }
            } else {
                for (int u = 0; u < units; u++) {
                    double v = row[offset + u];
                    s[base + u] += v;
                    q[base + u] += v * v;
                }
            }
            counts[prompt]++;
        }

        /** The statistics, once every prompt has all its time points. */
        public RunStatistics finish(String where) {
            for (int p = 0; p < counts.length; p++) {
                if (counts[p] != expected[p]) {
                    throw new IllegalStateException(where + ": prompt " + p + " got " + counts[p] + " time points, expected " + expected[p]);
                }
            }
            return new RunStatistics(units, counts.clone(), sums, squares);
        }
    }

    /** Writes the statistics atomically (a temporary name, then a rename). */
    public void write(Path file) {
        AtomicFile.write(file, out -> {
            out.write(Npy.headerBytes(Npy.Dtype.F64, 2, prompts(), units));
            ByteBuffer b = ByteBuffer.allocate(8 * 8192).order(ByteOrder.LITTLE_ENDIAN);
            for (double[] part : new double[][] {sums, sumSquares}) {
                for (int i = 0; i < part.length; i += 8192) {
                    b.clear();
                    int n = Math.min(8192, part.length - i);
                    b.asDoubleBuffer().put(part, i, n);
                    out.write(b.array(), 0, n * 8);
                }
            }
        });
    }

    /** Reads a run's statistics; {@code durations} are its events' durations (each prompt's count). */
    public static RunStatistics read(Path file, int[] durations) {
        try (Npy.Mapped m = Npy.map(file)) {
            long[] shape = m.shape();
            if (m.header().dtype() != Npy.Dtype.F64 || shape.length != 3 || shape[0] != 2 || shape[1] != durations.length) {
                throw new LlmriException(file + ": expected float64 [2, " + durations.length + ", units], found "
                        + m.header().dtype() + " " + Arrays.toString(shape));
            }
            long cells = shape[1] * shape[2];
            if (cells > Integer.MAX_VALUE - 8) throw new LlmriException(file + ": too large (" + cells + " cells)");
            double[] sums = new double[(int) cells], squares = new double[(int) cells];
            m.copyTo(0, sums, 0, sums.length);
            m.copyTo(cells, squares, 0, squares.length);
            return new RunStatistics((int) shape[2], durations.clone(), sums, squares);
        }
    }

    /** The header's units count of a statistics file, or -1 when it is not one for {@code prompts} prompts. */
    public static long unitsOf(Path file, int prompts) {
        Npy.Header h = Npy.readHeader(file);
        long[] s = h.shape();
        return h.dtype() == Npy.Dtype.F64 && s.length == 3 && s[0] == 2 && s[1] == prompts ? s[2] : -1;
    }

    /**
     * The same statistics computed afterwards from stored activations [time, unit] (the two-pass path, for
     * datasets scanned before the statistics existed or from elsewhere): one streaming pass in time order.
     * Time points outside every prompt are left out.
     */
    public static RunStatistics fromActivations(Path activations, int[] onsets, int[] durations) {
        try (Npy.Mapped m = Npy.map(activations)) {
            long[] shape = m.shape();
            if (shape.length != 2) throw new LlmriException(activations + ": activations must be 2-D [time, unit], shape is " + Arrays.toString(shape));
            if (shape[0] > Integer.MAX_VALUE || shape[1] > Integer.MAX_VALUE) throw new LlmriException(activations + ": too large");
            int time = (int) shape[0], units = (int) shape[1];
            int[] promptOf = new int[time];
            Arrays.fill(promptOf, -1);
            for (int p = 0; p < onsets.length; p++) {
                if (onsets[p] + (long) durations[p] > time) {
                    throw new LlmriException(activations + ": prompt " + p + " ends at time point " + (onsets[p] + durations[p]) + ", the run has " + time);
                }
                for (int t = onsets[p]; t < onsets[p] + durations[p]; t++) promptOf[t] = p;
            }
            Accumulator acc = new Accumulator(durations, units, false);
            int rowsPerChunk = (int) Math.max(1, Math.min(time, (1 << 22) / Math.max(1, units)));
            float[] buf = new float[rowsPerChunk * units];
            for (int t0 = 0; t0 < time; t0 += rowsPerChunk) {
                int rows = Math.min(rowsPerChunk, time - t0);
                m.copyTo((long) t0 * units, buf, 0, rows * units);
                for (int r = 0; r < rows; r++) if (promptOf[t0 + r] >= 0) acc.add(promptOf[t0 + r], buf, r * units);
            }
            return acc.finish(activations.toString());
        }
    }

    /**
     * Whether a run's statistics file can stand for its activations: it exists, and the activations (when stored)
     * were not changed after it. The scanner writes the statistics after the activations, so activations newer
     * than their statistics were edited afterwards, and then the analysis reads them instead.
     */
    public static boolean current(Path stats, Path activations) {
        try {
            if (!java.nio.file.Files.isRegularFile(stats)) return false;
            if (!java.nio.file.Files.isRegularFile(activations)) return true;
            return java.nio.file.Files.getLastModifiedTime(activations).compareTo(java.nio.file.Files.getLastModifiedTime(stats)) <= 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Whether a statistics file holds only finite numbers (then so did every value that went into it). */
    public static boolean finite(Path file) {
        try (Npy.Mapped m = Npy.map(file)) {
            long n = m.header().count();
            double[] buf = new double[8192];
            for (long i = 0; i < n; i += buf.length) {
                int len = (int) Math.min(buf.length, n - i);
                m.copyTo(i, buf, 0, len);
                for (int j = 0; j < len; j++) if (!Double.isFinite(buf[j])) return false;
            }
            return true;
        }
    }

    /** Whether every sum of squares is finite (then so is every value that went in). */
    public boolean allFinite() {
        for (double v : sumSquares) if (!Double.isFinite(v)) return false;
        return true;
    }
}
