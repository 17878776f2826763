package org.llmri.glm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.llmri.LlmriException;
import org.llmri.io.Npy;
import org.llmri.io.RowMajorMatrix;

/**
 * The GLM benchmark beside {@code glm_peer.py T U}: the same design (64-token off/on blocks, then the
 * constant and polynomial drift x, x², x³ of linspace(-1, 1)), the same kind of data (normal noise with
 * y[t] += 0.4·y[t−1], 10% of units responding 0.3), written to a .npy file first (float64 as numpy's
 * default, or float32), then timed: an OLS fit, and the AR(1) fit with its t contrast. Prints seconds and
 * the peak resident memory (VmHWM) against the file's size. Not a test.
 */
public final class GlmBench {
    private GlmBench() {}

    public record Result(int timePoints, int units, boolean float32, long fileBytes, double olsSeconds, double ar1Seconds,
                         long peakRssBytes, double meanAbsTResponsive, double meanAbsTRest) {}

    static double[][] design(int T, int K) {
        double[][] x = new double[T][K];
        for (int t = 0; t < T; t++) {
            x[t][0] = (t / 64) % 2;
            double v = T == 1 ? -1 : -1 + 2.0 * t / (T - 1);
            double pw = 1;
            for (int k = 1; k < K; k++) {
                x[t][k] = pw;
                pw *= v;
            }
        }
        return x;
    }

    /** Writes the benchmark data, one row at a time (bounded memory). */
    static void writeData(Path file, int T, int U, boolean float32, double[][] x, long seed) {
        Npy.Dtype dt = float32 ? Npy.Dtype.F32 : Npy.Dtype.F64;
        SplittableRandom rng = new SplittableRandom(seed);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(Npy.headerBytes(dt, T, U)));
            double[] prev = new double[U], cur = new double[U];
            ByteBuffer buf = ByteBuffer.allocateDirect(U * dt.bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int t = 0; t < T; t++) {
                for (int u = 0; u < U; u++) cur[u] = SyntheticGaussian.next(rng);
                buf.clear();
                for (int u = 0; u < U; u++) {
                    double v = cur[u] + (t > 0 ? 0.4 * prev[u] : 0) + (u < U / 10 ? 0.3 * x[t][0] : 0);
                    if (float32) buf.putFloat((float) v);
                    else buf.putDouble(v);
                }
                buf.flip();
                while (buf.hasRemaining()) ch.write(buf);
                double[] tmp = prev;
                prev = cur;
                cur = tmp;
            }
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot write benchmark data (" + e.getMessage() + ")");
        }
    }

    /** Standard normal draws (Box–Muller), seeded. */
    static final class SyntheticGaussian {
        static double next(SplittableRandom rng) {
            double u1 = rng.nextDouble(), u2 = rng.nextDouble();
            return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
        }
    }

    public static Result run(Path file, int T, int U, boolean float32, int threads, boolean keep) {
        int K = 5;
        double[][] xs = design(T, K);
        writeData(file, T, U, float32, xs, 0);
        double[] flat = new double[T * K];
        for (int t = 0; t < T; t++) System.arraycopy(xs[t], 0, flat, t * K, K);
        List<String> names = List.of("block", "c0", "c1", "c2", "c3");
        DesignMatrix d = new DesignMatrix(names, T, flat, 0, List.of());
        Contrast c = Contrast.parse("block", names);
        try {
            long bytes = Files.size(file);
            long t0 = System.nanoTime();
            try (RowMajorMatrix y = RowMajorMatrix.ofNpy(file)) {
                new GlmFitter(d, new NoiseModel.Ols(), List.of(c)).fit(y, threads, ProgressListener.NONE);
            }
            long t1 = System.nanoTime();
            FitResult ar;
            try (RowMajorMatrix y = RowMajorMatrix.ofNpy(file)) {
                ar = new GlmFitter(d, new NoiseModel.Ar1(100), List.of(c)).fit(y, threads, ProgressListener.NONE);
            }
            long t2 = System.nanoTime();
            double[] tv = ar.contrasts().get(0).stat();
            double resp = 0, rest = 0;
            for (int u = 0; u < U; u++) {
                if (u < U / 10) resp += Math.abs(tv[u]);
                else rest += Math.abs(tv[u]);
            }
            return new Result(T, U, float32, bytes, (t1 - t0) / 1e9, (t2 - t1) / 1e9, peakRss(),
                    resp / Math.max(1, U / 10), rest / Math.max(1, U - U / 10));
        } catch (IOException e) {
            throw new LlmriException(file + ": " + e.getMessage());
        } finally {
            if (!keep) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary benchmark file
                }
            }
        }
    }

    /** VmHWM from /proc/self/status, in bytes (-1 where unavailable). */
    static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException ignored) {
            // not Linux
        }
        return -1;
    }

    public static String format(Result r) {
        return String.format("T %d U %d K 5 dtype %s threads %d%nols_s %.3f%nar1_glm_s %.3f  (mean |t| responsive %.2f, rest %.2f)%n"
                        + "total_s %.3f%npeak_rss_mb %.0f  file_mb %.0f  ratio %.2f",
                r.timePoints(), r.units(), r.float32() ? "float32" : "float64", Runtime.getRuntime().availableProcessors(),
                r.olsSeconds(), r.ar1Seconds(), r.meanAbsTResponsive(), r.meanAbsTRest(), r.olsSeconds() + r.ar1Seconds(),
                r.peakRssBytes() / 1048576.0, r.fileBytes() / 1048576.0, (double) r.peakRssBytes() / r.fileBytes());
    }
}
