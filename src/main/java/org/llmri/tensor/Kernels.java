package org.llmri.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The hot loops, vectorised with the Vector API. Every dot product is accumulated in one fixed order
 * (lane-wise FMAs over k, one lane reduction, then the scalar tail) whatever the batch, so a row's
 * result does not depend on which other rows share its batch.
 */
public final class Kernels {
    private Kernels() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final ValueLayout.OfFloat F32LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /*
     * Lane sums use a fixed pairwise tree (swap halves, add; swap quarters, add; ...). reduceLanes(ADD)
     * is not used because its order differs between the interpreter and compiled code, which would make
     * results depend on JIT warm-up. The shuffles are constants so that C2 compiles them to permutes.
     */
    private static final VectorShuffle<Float> SWAP_8 = VectorShuffle.fromOp(S, lane -> lane ^ Math.max(1, L / 2));
    private static final VectorShuffle<Float> SWAP_4 = VectorShuffle.fromOp(S, lane -> lane ^ Math.max(1, L / 4));
    private static final VectorShuffle<Float> SWAP_2 = VectorShuffle.fromOp(S, lane -> lane ^ Math.max(1, L / 8));
    private static final VectorShuffle<Float> SWAP_1 = VectorShuffle.fromOp(S, lane -> lane ^ Math.max(1, L / 16));

    /** The sum of a vector's lanes, always in the same order. */
    static float sum(FloatVector v) {
        if (L == 16) {
            v = v.add(v.rearrange(SWAP_8));
            v = v.add(v.rearrange(SWAP_4));
            v = v.add(v.rearrange(SWAP_2));
            v = v.add(v.rearrange(SWAP_1));
            return v.lane(0);
        }
        // other widths: the same tree over the lanes, in scalar code
        float[] lanes = v.toArray();
        for (int half = lanes.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) lanes[i] = lanes[i] + lanes[i + half];
        }
        return lanes[0];
    }

    /** Output rows of the weight matrix converted per tile; 4 keeps 16 accumulators in registers. */
    static final int TILE = 4;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        float[] tile = new float[0];
        float[] acc = new float[0];

        float[] acc(int n) {
            if (acc.length < n) acc = new float[n];
            return acc;
        }

        float[] tile(int n) {
            if (tile.length < n) tile = new float[n];
            return tile;
        }

    }

    /**
     * y[r, o] = bias[o] + sum_k x[r, k] * W[o, k] for r in [0, rows): a Linear layer on a batch of rows.
     * x is [rows, in] and y is [rows, out], both row-major; bias may be null.
     */
    public static void linear(Threads threads, float[] x, int rows, Matrix w, float[] bias, float[] y) {
        int n = w.rows();
        threads.forRange(n, TILE * 4, (from, to) -> linearRange(x, rows, w, bias, y, from, to));
    }

    /** As {@link #linear} but only for the output columns [from, to) (one thread's share). */
    public static void linearRange(float[] x, int rows, Matrix w, float[] bias, float[] y, int from, int to) {
        int k = w.cols(), n = w.rows();
        Scratch s = SCRATCH.get();
        float[] tile = s.tile(TILE * k);
        for (int o = from; o < to; o += TILE) {
            int nt = Math.min(TILE, to - o);
            toFloats(w, o, nt, tile, s);
            int r = 0;
            if (nt == TILE) {
                for (; r + 4 <= rows; r += 4) block4x4(x, r, k, tile, y, n, o);
                if (L == 16) {
                    for (; r < rows; r++) block1x4(x, r, k, tile, y, n, o);
                }
            }
            for (; r < rows; r++) {
                for (int j = 0; j < nt; j++) y[r * n + o + j] = dot(tile, j * k, x, r * k, k);
            }
        }
        if (bias != null) {
            for (int r = 0; r < rows; r++) {
                int base = r * n;
                for (int o = from; o < to; o++) y[base + o] += bias[o];
            }
        }
    }

    /** Upcasts weight rows [row, row + count) to float32 in tile[j * cols ...]. */
    static void toFloats(Matrix w, int row, int count, float[] tile, Scratch s) {
        int k = w.cols();
        MemorySegment seg = w.data();
        long off = w.rowOffset(row);
        int total = count * k;
        switch (w.storage()) {
            case F32 -> MemorySegment.copy(seg, F32LE, off, tile, 0, total);
            case F16 -> f16ToF32(seg, off, tile, total);
            case BF16 -> bf16ToF32(seg, off, tile, total);
        }
    }

    // A counted loop over the segment: C2 compiles it to vcvtph2ps over whole vectors.
    static void f16ToF32(MemorySegment src, long off, float[] dst, int n) {
        for (int i = 0; i < n; i++) dst[i] = Float.float16ToFloat(src.get(I16LE, off + 2L * i));
    }

    private static final VectorSpecies<Short> HALF_S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> HALF_I = IntVector.SPECIES_512;

    /** bfloat16 is the top half of a float32: widen and shift (exact, vectorised when 16 lanes). */
    static void bf16ToF32(MemorySegment src, long off, float[] dst, int n) {
        int i = 0;
        if (L == 16) {
            for (; i + 16 <= n; i += 16) {
                ShortVector sv = ShortVector.fromMemorySegment(HALF_S, src, off + 2L * i, java.nio.ByteOrder.LITTLE_ENDIAN);
                ((IntVector) sv.convertShape(VectorOperators.S2I, HALF_I, 0)).lanewise(VectorOperators.LSHL, 16)
                        .reinterpretAsFloats().intoArray(dst, i);
            }
        }
        for (; i < n; i++) dst[i] = Float.intBitsToFloat(src.get(I16LE, off + 2L * i) << 16);
    }

    /** The dot product of a[ao, ao + n) and b[bo, bo + n) in the kernels' fixed order. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        }
        float sum;
        if (L == 16) {
            acc = acc.add(acc.rearrange(SWAP_8));
            acc = acc.add(acc.rearrange(SWAP_4));
            acc = acc.add(acc.rearrange(SWAP_2));
            acc = acc.add(acc.rearrange(SWAP_1));
            sum = acc.lane(0);
        } else {
            sum = sum(acc);
        }
        for (; i < n; i++) sum += a[ao + i] * b[bo + i];
        return sum;
    }

    /** Four rows of x against four weight rows: 16 independent dot products, same order as {@link #dot}. */
    private static void block4x4(float[] x, int r, int k, float[] tile, float[] y, int n, int o) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int x0 = r * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        int bound = S.loopBound(k);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector w0 = FloatVector.fromArray(S, tile, i);
            FloatVector w1 = FloatVector.fromArray(S, tile, k + i);
            FloatVector w2 = FloatVector.fromArray(S, tile, 2 * k + i);
            FloatVector w3 = FloatVector.fromArray(S, tile, 3 * k + i);
            FloatVector v = FloatVector.fromArray(S, x, x0 + i);
            a00 = w0.fma(v, a00); a01 = w1.fma(v, a01); a02 = w2.fma(v, a02); a03 = w3.fma(v, a03);
            v = FloatVector.fromArray(S, x, x1 + i);
            a10 = w0.fma(v, a10); a11 = w1.fma(v, a11); a12 = w2.fma(v, a12); a13 = w3.fma(v, a13);
            v = FloatVector.fromArray(S, x, x2 + i);
            a20 = w0.fma(v, a20); a21 = w1.fma(v, a21); a22 = w2.fma(v, a22); a23 = w3.fma(v, a23);
            v = FloatVector.fromArray(S, x, x3 + i);
            a30 = w0.fma(v, a30); a31 = w1.fma(v, a31); a32 = w2.fma(v, a32); a33 = w3.fma(v, a33);
        }
        if (L == 16) {
            // four outputs per x row summed together in registers, lane for lane the tree of sum()
            // written out, not called: vectors passed to a method that is not inlined would be boxed
            FloatVector ab0 = a00.blend(a01, UPPER_8).add(a00.rearrange(SWAP_8).blend(a01.rearrange(SWAP_8), UPPER_8));
            FloatVector cd0 = a02.blend(a03, UPPER_8).add(a02.rearrange(SWAP_8).blend(a03.rearrange(SWAP_8), UPPER_8));
            FloatVector s0 = ab0.blend(cd0, UPPER_4_OF_8).add(ab0.rearrange(SWAP_4).blend(cd0.rearrange(SWAP_4), UPPER_4_OF_8));
            s0 = s0.add(s0.rearrange(SWAP_2));
            s0 = s0.add(s0.rearrange(SWAP_1));
            FloatVector ab1 = a10.blend(a11, UPPER_8).add(a10.rearrange(SWAP_8).blend(a11.rearrange(SWAP_8), UPPER_8));
            FloatVector cd1 = a12.blend(a13, UPPER_8).add(a12.rearrange(SWAP_8).blend(a13.rearrange(SWAP_8), UPPER_8));
            FloatVector s1 = ab1.blend(cd1, UPPER_4_OF_8).add(ab1.rearrange(SWAP_4).blend(cd1.rearrange(SWAP_4), UPPER_4_OF_8));
            s1 = s1.add(s1.rearrange(SWAP_2));
            s1 = s1.add(s1.rearrange(SWAP_1));
            FloatVector ab2 = a20.blend(a21, UPPER_8).add(a20.rearrange(SWAP_8).blend(a21.rearrange(SWAP_8), UPPER_8));
            FloatVector cd2 = a22.blend(a23, UPPER_8).add(a22.rearrange(SWAP_8).blend(a23.rearrange(SWAP_8), UPPER_8));
            FloatVector s2 = ab2.blend(cd2, UPPER_4_OF_8).add(ab2.rearrange(SWAP_4).blend(cd2.rearrange(SWAP_4), UPPER_4_OF_8));
            s2 = s2.add(s2.rearrange(SWAP_2));
            s2 = s2.add(s2.rearrange(SWAP_1));
            FloatVector ab3 = a30.blend(a31, UPPER_8).add(a30.rearrange(SWAP_8).blend(a31.rearrange(SWAP_8), UPPER_8));
            FloatVector cd3 = a32.blend(a33, UPPER_8).add(a32.rearrange(SWAP_8).blend(a33.rearrange(SWAP_8), UPPER_8));
            FloatVector s3 = ab3.blend(cd3, UPPER_4_OF_8).add(ab3.rearrange(SWAP_4).blend(cd3.rearrange(SWAP_4), UPPER_4_OF_8));
            s3 = s3.add(s3.rearrange(SWAP_2));
            s3 = s3.add(s3.rearrange(SWAP_1));
            put(y, r * n + o, s0, tile, x, x0, i, k);
            put(y, (r + 1) * n + o, s1, tile, x, x1, i, k);
            put(y, (r + 2) * n + o, s2, tile, x, x2, i, k);
            put(y, (r + 3) * n + o, s3, tile, x, x3, i, k);
        } else {
            float[] acc = SCRATCH.get().acc(16 * L);
            a00.intoArray(acc, 0); a01.intoArray(acc, L); a02.intoArray(acc, 2 * L); a03.intoArray(acc, 3 * L);
            a10.intoArray(acc, 4 * L); a11.intoArray(acc, 5 * L); a12.intoArray(acc, 6 * L); a13.intoArray(acc, 7 * L);
            a20.intoArray(acc, 8 * L); a21.intoArray(acc, 9 * L); a22.intoArray(acc, 10 * L); a23.intoArray(acc, 11 * L);
            a30.intoArray(acc, 12 * L); a31.intoArray(acc, 13 * L); a32.intoArray(acc, 14 * L); a33.intoArray(acc, 15 * L);
            int[] xo = {x0, x1, x2, x3};
            for (int rr = 0; rr < 4; rr++) {
                for (int j = 0; j < 4; j++) {
                    float v = treeSum(acc, (rr * 4 + j) * L, L);
                    for (int t = i; t < k; t++) v += tile[j * k + t] * x[xo[rr] + t];
                    y[(r + rr) * n + o + j] = v;
                }
            }
        }
    }

    /**
     * One row of x against four weight rows (four independent FMA chains instead of one), same order
     * as {@link #dot}; used where fewer than four rows remain, e.g. generating one sequence.
     */
    private static void block1x4(float[] x, int r, int k, float[] tile, float[] y, int n, int o) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int x0 = r * k;
        int bound = S.loopBound(k);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, x0 + i);
            a0 = FloatVector.fromArray(S, tile, i).fma(v, a0);
            a1 = FloatVector.fromArray(S, tile, k + i).fma(v, a1);
            a2 = FloatVector.fromArray(S, tile, 2 * k + i).fma(v, a2);
            a3 = FloatVector.fromArray(S, tile, 3 * k + i).fma(v, a3);
        }
        FloatVector ab = a0.blend(a1, UPPER_8).add(a0.rearrange(SWAP_8).blend(a1.rearrange(SWAP_8), UPPER_8));
        FloatVector cd = a2.blend(a3, UPPER_8).add(a2.rearrange(SWAP_8).blend(a3.rearrange(SWAP_8), UPPER_8));
        FloatVector s = ab.blend(cd, UPPER_4_OF_8).add(ab.rearrange(SWAP_4).blend(cd.rearrange(SWAP_4), UPPER_4_OF_8));
        s = s.add(s.rearrange(SWAP_2));
        s = s.add(s.rearrange(SWAP_1));
        put(y, r * n + o, s, tile, x, x0, i, k);
    }

    private static final VectorMask<Float> UPPER_8 = VectorMask.fromLong(S, 0xFF00L);
    private static final VectorMask<Float> UPPER_4_OF_8 = VectorMask.fromLong(S, 0xF0F0L);
    // with 16 lanes, after the tree the sums of the 4 accumulators (a, b, c, d) sit in lanes 0, 8, 4, 12;
    // each pair added is a pair that sum() adds, only commuted, so the results are identical

    /** Writes the four sums of one x row (lanes 0, 8, 4, 12), adding any scalar tail past the vector loop. */
    private static void put(float[] y, int at, FloatVector sums, float[] tile, float[] x, int xo, int from, int k) {
        float s0 = sums.lane(0), s1 = sums.lane(8), s2 = sums.lane(4), s3 = sums.lane(12);
        for (int t = from; t < k; t++) {
            float xv = x[xo + t];
            s0 += tile[t] * xv;
            s1 += tile[k + t] * xv;
            s2 += tile[2 * k + t] * xv;
            s3 += tile[3 * k + t] * xv;
        }
        y[at] = s0;
        y[at + 1] = s1;
        y[at + 2] = s2;
        y[at + 3] = s3;
    }

    /** The fixed tree over lanes stored in a[off, off + n), n a power of two. */
    private static float treeSum(float[] a, int off, int n) {
        float[] t = java.util.Arrays.copyOfRange(a, off, off + n);
        for (int half = n / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) t[i] = t[i] + t[i + half];
        }
        return t[0];
    }

    /** Reads one row of a weight matrix as float32 (an embedding lookup). */
    public static void row(Matrix w, int row, float[] dst, int dstOff) {
        int k = w.cols();
        MemorySegment seg = w.data();
        long off = w.rowOffset(row);
        switch (w.storage()) {
            case F32 -> MemorySegment.copy(seg, F32LE, off, dst, dstOff, k);
            case F16 -> {
                for (int i = 0; i < k; i++) dst[dstOff + i] = Float.float16ToFloat(seg.get(I16LE, off + 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < k; i++) dst[dstOff + i] = Float.intBitsToFloat(seg.get(I16LE, off + 2L * i) << 16);
            }
        }
    }

    /**
     * LayerNorm over each row of n values, as torch computes it: mean, biased variance, eps inside the
     * square root; the weight and bias may be null (no elementwise affine).
     */
    public static void layerNorm(float[] x, float[] out, int rows, int n, float[] weight, float[] bias, float eps) {
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            double mean = 0;
            for (int i = 0; i < n; i++) mean += x[o + i];
            mean /= n;
            double var = 0;
            for (int i = 0; i < n; i++) {
                double d = x[o + i] - mean;
                var += d * d;
            }
            var /= n;
            float inv = (float) (1.0 / Math.sqrt(var + eps));
            float m = (float) mean;
            for (int i = 0; i < n; i++) {
                float v = (x[o + i] - m) * inv;
                if (weight != null) v *= weight[i];
                if (bias != null) v += bias[i];
                out[o + i] = v;
            }
        }
    }

    // GELU's erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7) and exp by range reduction
    // and a degree-6 polynomial: only +, *, / and bit operations, so the result is the same in every lane,
    // in the scalar tail and before and after JIT compilation.
    private static final float ERF_P = 0.3275911f;
    private static final float A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    private static final float INV_SQRT2 = 0.70710678118654752f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693145751953125f, LN2_LO = 1.42860682030941723e-6f;
    private static final float ROUNDER = 12582912f; // 1.5 * 2^23: adding it rounds to an integer

    /** Exact (erf) GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), in place over [0, n). */
    public static void gelu(float[] x, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector z = v.abs().mul(INV_SQRT2);
            FloatVector t = z.mul(ERF_P).add(1f);
            t = FloatVector.broadcast(S, 1f).div(t);
            FloatVector poly = t.mul(A5).add(A4).mul(t).add(A3).mul(t).add(A2).mul(t).add(A1).mul(t);
            FloatVector e = expNegative(z.mul(z).neg());
            FloatVector erfAbs = FloatVector.broadcast(S, 1f).sub(poly.mul(e));
            FloatVector erf = erfAbs.blend(erfAbs.neg(), v.lt(0f));
            v.mul(0.5f).mul(erf.add(1f)).intoArray(x, i);
        }
        for (; i < n; i++) {
            float v = x[i];
            float z = Math.abs(v) * INV_SQRT2;
            float t = 1f / (z * ERF_P + 1f);
            float poly = ((((t * A5 + A4) * t + A3) * t + A2) * t + A1) * t;
            float erfAbs = 1f - poly * expNegative(-(z * z));
            float erf = v < 0f ? -erfAbs : erfAbs;
            x[i] = v * 0.5f * (erf + 1f);
        }
    }

    /** e^v for v <= 0, lane-wise (v below -87 gives 0). */
    static FloatVector expNegative(FloatVector v) {
        FloatVector c = v.max(-87f);
        FloatVector k = c.mul(LOG2E).add(ROUNDER).sub(ROUNDER);
        FloatVector r = c.sub(k.mul(LN2_HI)).sub(k.mul(LN2_LO));
        FloatVector p = r.mul(1f / 720).add(1f / 120).mul(r).add(1f / 24).mul(r).add(1f / 6).mul(r).add(0.5f).mul(r).add(1f).mul(r).add(1f);
        jdk.incubator.vector.IntVector bits = ((jdk.incubator.vector.IntVector) k.convert(jdk.incubator.vector.VectorOperators.F2I, 0))
                .add(127).lanewise(jdk.incubator.vector.VectorOperators.LSHL, 23);
        FloatVector scale = bits.reinterpretAsFloats();
        return p.mul(scale).blend(0f, v.lt(-87f));
    }

    static float expNegative(float v) {
        float c = Math.max(v, -87f);
        float k = c * LOG2E + ROUNDER - ROUNDER;
        float r = c - k * LN2_HI - k * LN2_LO;
        float p = (((((r * (1f / 720) + 1f / 120) * r + 1f / 24) * r + 1f / 6) * r + 0.5f) * r + 1f) * r + 1f;
        float scale = Float.intBitsToFloat(((int) k + 127) << 23);
        return v < -87f ? 0f : p * scale;
    }

    public static void relu(float[] x, int n) {
        for (int i = 0; i < n; i++) if (x[i] < 0f) x[i] = 0f;
    }

    /** a[i] += b[i] over [0, n). */
    public static void addInPlace(float[] a, float[] b, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, a, i).add(FloatVector.fromArray(S, b, i)).intoArray(a, i);
        }
        for (; i < n; i++) a[i] += b[i];
    }

    /** a[ao + i] += s * b[bo + i] over [0, n). */
    public static void axpy(float s, float[] b, int bo, float[] a, int ao, int n) {
        FloatVector sv = FloatVector.broadcast(S, s);
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, b, bo + i).fma(sv, FloatVector.fromArray(S, a, ao + i)).intoArray(a, ao + i);
        }
        for (; i < n; i++) a[ao + i] += s * b[bo + i];
    }
}
