package org.llmri.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KernelsTest {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    static Matrix random(Arena arena, int rows, int cols, Storage st, SplittableRandom rng) {
        MemorySegment s = arena.allocate((long) rows * cols * st.bytes, 8);
        for (long i = 0; i < (long) rows * cols; i++) {
            float v = (float) (rng.nextGaussian() * 0.1);
            switch (st) {
                case F32 -> s.setAtIndex(F32, i, v);
                case F16 -> s.setAtIndex(I16, i, Float.floatToFloat16(v));
                case BF16 -> s.setAtIndex(I16, i, (short) (Float.floatToRawIntBits(v) >>> 16));
            }
        }
        return new Matrix(s, st, rows, cols);
    }

    static float weight(Matrix m, int r, int c) {
        long i = (long) r * m.cols() + c;
        return switch (m.storage()) {
            case F32 -> m.data().getAtIndex(F32, i);
            case F16 -> Float.float16ToFloat(m.data().getAtIndex(I16, i));
            case BF16 -> Float.intBitsToFloat(m.data().getAtIndex(I16, i) << 16);
        };
    }

    @ParameterizedTest
    @CsvSource({"F32, 77, 40, 13", "F16, 130, 64, 7", "BF16, 65, 33, 1", "F16, 768, 768, 32", "F32, 70, 4096, 71", "F16, 70, 3072, 50", "F16, 65, 97, 13"})
    void linearMatchesADoubleReferenceAndEachRowIsTheSameInAnyBatch(Storage st, int out, int in, int rows) {
        SplittableRandom rng = new SplittableRandom(out * 31L + in);
        try (Arena arena = Arena.ofShared(); Threads threads = new Threads(2)) {
            Matrix m = random(arena, out, in, st, rng);
            PackedMatrix p = PackedMatrix.pack(m, arena);
            float[] bias = new float[out];
            for (int i = 0; i < out; i++) bias[i] = (float) rng.nextGaussian();
            float[] x = new float[rows * in];
            for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
            float[] y = new float[rows * out];
            Matmul.linear(threads, x, rows, p, bias, y);
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < out; o++) {
                    double ref = bias[o];
                    for (int k = 0; k < in; k++) ref += (double) x[r * in + k] * weight(m, o, k);
                    assertThat((double) y[r * out + o]).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(ref))));
                }
                // the same row alone, and in a different batch position, gives the same bits
                float[] alone = new float[out];
                Matmul.linear(threads, java.util.Arrays.copyOfRange(x, r * in, (r + 1) * in), 1, p, bias, alone);
                assertThat(alone).containsExactly(java.util.Arrays.copyOfRange(y, r * out, (r + 1) * out));
            }
        }
    }

    /**
     * The narrow tiles (two rows: for x86 without AVX-512, whose 16 vector registers the six-row tile overflows) and
     * the wide ones give the same bits, so a scan's numbers do not depend on which the machine chose.
     */
    @ParameterizedTest
    @CsvSource({"F32, 77, 40, 13", "F16, 130, 64, 20", "BF16, 65, 33, 9", "F16, 768, 768, 32", "F16, 70, 3072, 50", "F32, 33, 300, 6", "F16, 64, 64, 8"})
    void wideAndNarrowTilesGiveTheSameBits(Storage st, int out, int in, int rows) {
        SplittableRandom rng = new SplittableRandom(out * 17L + rows);
        try (Arena arena = Arena.ofShared(); Threads threads = new Threads(2)) {
            PackedMatrix p = PackedMatrix.pack(random(arena, out, in, st, rng), arena);
            float[] bias = new float[out];
            for (int i = 0; i < out; i++) bias[i] = (float) rng.nextGaussian();
            float[] x = new float[rows * in];
            for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
            float[] wide = new float[rows * out], narrow = new float[rows * out];
            Matmul.linear(threads, x, rows, p, bias, wide, true);
            Matmul.linear(threads, x, rows, p, bias, narrow, false);
            assertThat(narrow).containsExactly(wide);
        }
    }

    @org.junit.jupiter.api.Test
    void theLaneSumIsThePairwiseTreeAtEveryWidth() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int rep = 0; rep < 100; rep++) {
            float[] lanes = new float[Matmul.L];
            for (int i = 0; i < lanes.length; i++) lanes[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(-3, 4)));
            float[] tree = lanes.clone();
            for (int half = tree.length / 2; half >= 1; half /= 2) {
                for (int i = 0; i < half; i++) tree[i] = tree[i] + tree[i + half];
            }
            assertThat(Matmul.sum(jdk.incubator.vector.FloatVector.fromArray(Matmul.S, lanes, 0))).isEqualTo(tree[0]);
        }
    }

    @ParameterizedTest
    @CsvSource({"-12.5", "-5", "-1", "-0.3", "0", "1e-8", "0.7", "2", "9"})
    void geluIsTheExactErfGeluToFloatPrecision(float v) {
        float[] x = new float[37];
        java.util.Arrays.fill(x, v);
        try (Threads threads = new Threads(2)) {
            Ops.gelu(threads, x, x.length);
        }
        double erf = org.hipparchus.special.Erf.erf(v / Math.sqrt(2));
        double want = 0.5 * v * (1 + erf);
        for (float g : x) {
            assertThat((double) g).isCloseTo(want, org.assertj.core.data.Offset.offset(3e-7 * Math.max(1, Math.abs(v))));
            assertThat(g).isEqualTo(x[0]); // vector lanes and the scalar tail agree bit for bit
        }
    }

    @org.junit.jupiter.api.Test
    void dotSumsInAFixedOrder() {
        float[] a = new float[100], b = new float[100];
        SplittableRandom rng = new SplittableRandom(5);
        double ref = 0;
        for (int i = 0; i < 100; i++) {
            a[i] = (float) rng.nextGaussian();
            b[i] = (float) rng.nextGaussian();
            ref += (double) a[i] * b[i];
        }
        float d = Ops.dot(a, 0, b, 0, 100);
        assertThat((double) d).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-4));
        for (int rep = 0; rep < 1000; rep++) assertThat(Ops.dot(a, 0, b, 0, 100)).isEqualTo(d);
    }

    /**
     * Every finite float16 below 64 in magnitude (subnormals, both zeros, the largest that fit) is packed
     * as shifted pairs and must come back bit for bit: through the six-row tile that widens a chunk as
     * it uses it, the rows that read that chunk back, and the one-row path that widens in registers. Multiplying by a one-hot row reads a
     * column of W exactly (but for -0, which an FMA chain started at +0 turns into +0).
     */
    @org.junit.jupiter.api.Test
    void float16PairsReproduceEveryFloat16Exactly() {
        java.util.List<Short> codes = new java.util.ArrayList<>();
        for (int h = 0; h < 0x10000; h++) {
            float v = Float.float16ToFloat((short) h);
            if (Float.isFinite(v) && Math.abs(v) < 64) codes.add((short) h);
        }
        int k = 64, n = (codes.size() + k - 1) / k; // output o holds codes [o*k, o*k + k)
        try (Arena arena = Arena.ofShared(); Threads threads = new Threads(2)) {
            MemorySegment s = arena.allocate((long) n * k * 2, 8);
            for (int i = 0; i < n * k; i++) s.setAtIndex(I16, i, i < codes.size() ? codes.get(i) : 0);
            Matrix m = new Matrix(s, Storage.F16, n, k);
            PackedMatrix p = PackedMatrix.pack(m, arena);
            assertThat(p.format()).isEqualTo(PackedMatrix.Format.F16_PAIRS);
            for (int c = 0; c < k; c++) {
                float[] oneHot = new float[k];
                oneHot[c] = 1f;
                // seven rows: the first six widen the chunk in registers, the seventh reads it back
                float[] batch = new float[7 * k];
                System.arraycopy(oneHot, 0, batch, k, k);
                System.arraycopy(oneHot, 0, batch, 6 * k, k);
                float[] alone = new float[n], inBatch = new float[7 * n];
                Matmul.linear(threads, oneHot, 1, p, null, alone);
                Matmul.linear(threads, batch, 7, p, null, inBatch);
                for (int o = 0; o < n; o++) {
                    int want = Float.floatToRawIntBits(0f + weight(m, o, c)); // sums start at +0, so -0 reads +0
                    assertThat(Float.floatToRawIntBits(alone[o])).as("output %d step %d", o, c).isEqualTo(want);
                    assertThat(Float.floatToRawIntBits(inBatch[n + o])).as("output %d step %d in a six-row tile", o, c).isEqualTo(want);
                    assertThat(Float.floatToRawIntBits(inBatch[6 * n + o])).as("output %d step %d after the tile", o, c).isEqualTo(want);
                }
            }
        }
    }

    /** A float16 matrix the shift would overflow (a weight of 64 or more, or inf) is kept as float32, and exact. */
    @ParameterizedTest
    @CsvSource({"64", "65504", "Infinity"})
    void float16BeyondThePairsRangeFallsBackToFloat32(float big) {
        SplittableRandom rng = new SplittableRandom(5);
        try (Arena arena = Arena.ofShared(); Threads threads = new Threads(2)) {
            Matrix m = random(arena, 70, 40, Storage.F16, rng);
            m.data().setAtIndex(I16, 7 * 40 + 3, Float.floatToFloat16(big));
            PackedMatrix p = PackedMatrix.pack(m, arena);
            assertThat(p.format()).isEqualTo(PackedMatrix.Format.F32);
            float[] x = new float[40];
            x[3] = 1f;
            float[] y = new float[70];
            Matmul.linear(threads, x, 1, p, null, y);
            for (int o = 0; o < 70; o++) assertThat(y[o]).isEqualTo(weight(m, o, 3));
        }
    }
}
