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
 * The matrix multiply (packed-panel GEMM tiles and the one-row GEMV), vectorised with the Vector API. Every dot product is accumulated in one fixed order
 * (lane-wise FMAs over k, one lane reduction, then the scalar tail) whatever the batch, so a row's
 * result does not depend on which other rows share its batch.
 */
public final class Matmul {
    private Matmul() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final ValueLayout.OfFloat F32LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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
        if (L == 8) { // AVX2: the same tree, its three steps as permutes
            v = v.add(v.rearrange(SWAP_8));
            v = v.add(v.rearrange(SWAP_4));
            v = v.add(v.rearrange(SWAP_2));
            return v.lane(0);
        }
        // other widths: the same tree over the lanes, in scalar code
        float[] lanes = v.toArray();
        for (int half = lanes.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) lanes[i] = lanes[i] + lanes[i + half];
        }
        return lanes[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        float[] tile = new float[0];
        float[] acc = new float[0];

        float[] steps = new float[0];

        float[] steps(int n) {
            if (steps.length < n) steps = new float[n];
            return steps;
        }

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
     * x is [rows, in] and y is [rows, out], both row-major; bias may be null. Each output is one FMA
     * chain over k in order, so a row's result never depends on the other rows of its batch.
     */
    public static void linear(Threads threads, float[] x, int rows, PackedMatrix w, float[] bias, float[] y) {
        linear(threads, x, rows, w, bias, y, WIDE_TILES);
    }

    /** As {@link #linear(Threads, float[], int, PackedMatrix, float[], float[])} with the tiles chosen: wide (6 and 4 rows) or narrow (2). */
    static void linear(Threads threads, float[] x, int rows, PackedMatrix w, float[] bias, float[] y, boolean wide) {
        if (rows == 1 && L == 16 && w.format() == PackedMatrix.Format.F16_PAIRS) {
            gemv(threads, x, w, bias, y);
            return;
        }
        // many rows (a prefill): take them in blocks whose inputs stay in L2 while every panel passes over
        // them, rather than streaming all of x from memory once per panel
        int k = w.cols();
        int block = Math.max(6, Math.min(rows, X_BLOCK_BYTES / (4 * k) / 6 * 6));
        // the rows that six-row tiles take are copied step-major (a tile's six inputs for one k side by
        // side), so the tile kernel addresses them from one index instead of six
        float[] xs = SCRATCH.get().steps(rows * k);
        int[] tiles = new int[rows / 6];
        int count = 0;
        for (int r0 = 0; r0 < rows; r0 += block) {
            int end = r0 + sixes(Math.min(rows, r0 + block) - r0, wide);
            for (int r = r0; r < end; r += 6) tiles[count++] = r;
        }
        threads.forRange(count, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                int r = tiles[t];
                for (int j = 0; j < 6; j++) {
                    for (int i = 0, src = (r + j) * k, dst = r * k + j; i < k; i++, dst += 6) xs[dst] = x[src + i];
                }
            }
        });
        for (int r0 = 0; r0 < rows; r0 += block) {
            int from0 = r0, to0 = Math.min(rows, r0 + block);
            threads.forEachPiece(w.panels(), 1, (from, to) -> {
                for (int p = from; p < to; p++) panel(x, xs, from0, to0, w, p, bias, y, wide);
            });
        }
    }

    /**
     * Whether the six- and four-row tiles fit the vector registers. Their 24 and 16 accumulators, 4 weight vectors and a
     * broadcast need 32 registers, which AVX-512 (and ARM's NEON and SVE) have; x86 before AVX-512 has 16, where
     * the compiler spills accumulators to the stack on every step, so there rows go two at a time (8 accumulators),
     * which gives the same sums in the same order. {@code -Dllmri.tiles=wide|narrow} overrides the choice (benchmarks).
     */
    static final boolean WIDE_TILES = switch (System.getProperty("llmri.tiles", "auto")) {
        case "wide" -> true;
        case "narrow" -> false;
        default -> L >= 16 || !System.getProperty("os.arch", "").matches("amd64|x86_64|x86|i386");
    };

    /** How many of a block's n rows the six-row tiles take (the rest go four, two and one at a time). */
    static int sixes(int n, boolean wide) {
        if (!wide) return 0;
        int r = 0;
        while (n - r >= 6 && n - r != 8) r += 6;
        return r;
    }

    /** Bytes of input rows kept hot per block of rows: half the 2 MB L2 (measured: prefill 10% faster than with 512 KB, 1.5 MB no better). */
    static final int X_BLOCK_BYTES = 1 << 20;

    /** Panel width: the rows kernels index the widened chunk and the accumulators with it as a constant. */
    static final int PW = 4 * L;

    /** k steps per chunk: a chunk of a panel (64 x 64 floats) stays in L1 while every row block uses it. */
    static final int CHUNK = 64;

    private static void panel(float[] x, float[] xs, int rowFrom, int rowTo, PackedMatrix w, int p, float[] bias, float[] y, boolean wide) {
        int k = w.cols(), n = w.rows(), pw = w.width();
        Scratch s = SCRATCH.get();
        float[] t = s.tile(CHUNK * pw);
        float[] acc = s.acc(rowTo * pw);
        // converting chunk by chunk keeps the weight stream flowing between bursts of FMAs, so the
        // hardware prefetcher overlaps memory with compute; each output is still one FMA chain over k
        int sixEnd = rowFrom + sixes(rowTo - rowFrom, wide);
        for (int k0 = 0; k0 < k; k0 += CHUNK) {
            int k1 = Math.min(k, k0 + CHUNK);
            boolean first = k0 == 0;
            int r = rowFrom;
            if (w.format() == PackedMatrix.Format.F16_PAIRS && L == 16 && sixEnd > r) {
                // the first six rows widen the chunk as they use it, so its fetch from memory overlaps
                // their FMAs; the rows after them read the widened chunk back from L1
                rows6Widen(xs, r, k, k0, k1, w.data(), w.offset(p, k0), w.offset(p, k0 + 1), t, acc, first);
                r += 6;
            } else {
                w.chunkToFloats(p, k0, k1, t);
            }
            for (; r < sixEnd; r += 6) rows6(xs, r, k, k0, k1, t, acc, first);
            if (wide) for (; rowTo - r >= 4; r += 4) rows4(x, r, k, k0, k1, t, acc, first);
            for (; rowTo - r >= 2; r += 2) rows2(x, r, k, k0, k1, t, acc, first);
            for (; r < rowTo; r++) rows1(x, r, k, k0, k1, t, acc, first);
        }
        int o = p * pw;
        int valid = Math.min(pw, n - o);
        for (int i = rowFrom; i < rowTo; i++) withBias(acc, i * pw, bias, o, y, i * n + o, valid);
    }

    /** y[to + j] = src[from + j] + bias[o + j] for j < n (a plain copy when bias is null). */
    private static void withBias(float[] src, int from, float[] bias, int o, float[] y, int to, int n) {
        if (bias == null) {
            System.arraycopy(src, from, y, to, n);
            return;
        }
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector.fromArray(S, src, from + j).add(FloatVector.fromArray(S, bias, o + j)).intoArray(y, to + j);
        }
        for (; j < n; j++) y[to + j] = src[from + j] + bias[o + j];
    }

    /**
     * Rows [r, r + 6) times the chunk's k in [k0, k1), accumulated into acc[row * pw ...]. The rows are
     * read from xs, where linear() copied them step-major: row r + j's input i at xs[r * k + 6 * i + j].
     */
    private static void rows6(float[] xs, int r, int k, int k0, int k1, float[] t, float[] acc, boolean first) {
        final int pw = PW;
        int c0 = r * pw;
        FloatVector a00 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0), a01 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0 + 1 * L), a02 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0 + 2 * L), a03 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0 + 3 * L);
        int c1 = (r + 1) * pw;
        FloatVector a10 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c1), a11 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c1 + 1 * L), a12 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c1 + 2 * L), a13 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c1 + 3 * L);
        int c2 = (r + 2) * pw;
        FloatVector a20 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c2), a21 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c2 + 1 * L), a22 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c2 + 2 * L), a23 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c2 + 3 * L);
        int c3 = (r + 3) * pw;
        FloatVector a30 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c3), a31 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c3 + 1 * L), a32 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c3 + 2 * L), a33 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c3 + 3 * L);
        int c4 = (r + 4) * pw;
        FloatVector a40 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c4), a41 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c4 + 1 * L), a42 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c4 + 2 * L), a43 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c4 + 3 * L);
        int c5 = (r + 5) * pw;
        FloatVector a50 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c5), a51 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c5 + 1 * L), a52 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c5 + 2 * L), a53 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c5 + 3 * L);
        int xb = r * k;
        for (int i = k0; i < k1; i++) {
            int ti = (i - k0) * pw;
            FloatVector w0 = FloatVector.fromArray(S, t, ti);
            FloatVector w1 = FloatVector.fromArray(S, t, ti + 1 * L);
            FloatVector w2 = FloatVector.fromArray(S, t, ti + 2 * L);
            FloatVector w3 = FloatVector.fromArray(S, t, ti + 3 * L);
            FloatVector v = FloatVector.broadcast(S, xs[xb + 6 * i + 0]);
            a00 = w0.fma(v, a00); a01 = w1.fma(v, a01); a02 = w2.fma(v, a02); a03 = w3.fma(v, a03);
            v = FloatVector.broadcast(S, xs[xb + 6 * i + 1]);
            a10 = w0.fma(v, a10); a11 = w1.fma(v, a11); a12 = w2.fma(v, a12); a13 = w3.fma(v, a13);
            v = FloatVector.broadcast(S, xs[xb + 6 * i + 2]);
            a20 = w0.fma(v, a20); a21 = w1.fma(v, a21); a22 = w2.fma(v, a22); a23 = w3.fma(v, a23);
            v = FloatVector.broadcast(S, xs[xb + 6 * i + 3]);
            a30 = w0.fma(v, a30); a31 = w1.fma(v, a31); a32 = w2.fma(v, a32); a33 = w3.fma(v, a33);
            v = FloatVector.broadcast(S, xs[xb + 6 * i + 4]);
            a40 = w0.fma(v, a40); a41 = w1.fma(v, a41); a42 = w2.fma(v, a42); a43 = w3.fma(v, a43);
            v = FloatVector.broadcast(S, xs[xb + 6 * i + 5]);
            a50 = w0.fma(v, a50); a51 = w1.fma(v, a51); a52 = w2.fma(v, a52); a53 = w3.fma(v, a53);
        }
        a00.intoArray(acc, c0); a01.intoArray(acc, c0 + 1 * L); a02.intoArray(acc, c0 + 2 * L); a03.intoArray(acc, c0 + 3 * L);
        a10.intoArray(acc, c1); a11.intoArray(acc, c1 + 1 * L); a12.intoArray(acc, c1 + 2 * L); a13.intoArray(acc, c1 + 3 * L);
        a20.intoArray(acc, c2); a21.intoArray(acc, c2 + 1 * L); a22.intoArray(acc, c2 + 2 * L); a23.intoArray(acc, c2 + 3 * L);
        a30.intoArray(acc, c3); a31.intoArray(acc, c3 + 1 * L); a32.intoArray(acc, c3 + 2 * L); a33.intoArray(acc, c3 + 3 * L);
        a40.intoArray(acc, c4); a41.intoArray(acc, c4 + 1 * L); a42.intoArray(acc, c4 + 2 * L); a43.intoArray(acc, c4 + 3 * L);
        a50.intoArray(acc, c5); a51.intoArray(acc, c5 + 1 * L); a52.intoArray(acc, c5 + 2 * L); a53.intoArray(acc, c5 + 3 * L);
    }

    /** Rows [r, r + 4) of x times the chunk's k in [k0, k1), accumulated into acc[row * pw ...]. */
    private static void rows4(float[] x, int r, int k, int k0, int k1, float[] t, float[] acc, boolean first) {
        final int pw = PW;
        int c0 = r * pw;
        FloatVector a00 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0), a01 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0 + 1 * L), a02 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0 + 2 * L), a03 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0 + 3 * L);
        int c1 = (r + 1) * pw;
        FloatVector a10 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c1), a11 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c1 + 1 * L), a12 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c1 + 2 * L), a13 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c1 + 3 * L);
        int c2 = (r + 2) * pw;
        FloatVector a20 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c2), a21 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c2 + 1 * L), a22 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c2 + 2 * L), a23 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c2 + 3 * L);
        int c3 = (r + 3) * pw;
        FloatVector a30 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c3), a31 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c3 + 1 * L), a32 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c3 + 2 * L), a33 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c3 + 3 * L);
        int x0 = r * k;
        for (int i = k0; i < k1; i++) {
            int ti = (i - k0) * pw;
            FloatVector w0 = FloatVector.fromArray(S, t, ti);
            FloatVector w1 = FloatVector.fromArray(S, t, ti + 1 * L);
            FloatVector w2 = FloatVector.fromArray(S, t, ti + 2 * L);
            FloatVector w3 = FloatVector.fromArray(S, t, ti + 3 * L);
            FloatVector v = FloatVector.broadcast(S, x[x0 + i]);
            a00 = w0.fma(v, a00); a01 = w1.fma(v, a01); a02 = w2.fma(v, a02); a03 = w3.fma(v, a03);
            v = FloatVector.broadcast(S, x[x0 + 1 * k + i]);
            a10 = w0.fma(v, a10); a11 = w1.fma(v, a11); a12 = w2.fma(v, a12); a13 = w3.fma(v, a13);
            v = FloatVector.broadcast(S, x[x0 + 2 * k + i]);
            a20 = w0.fma(v, a20); a21 = w1.fma(v, a21); a22 = w2.fma(v, a22); a23 = w3.fma(v, a23);
            v = FloatVector.broadcast(S, x[x0 + 3 * k + i]);
            a30 = w0.fma(v, a30); a31 = w1.fma(v, a31); a32 = w2.fma(v, a32); a33 = w3.fma(v, a33);
        }
        a00.intoArray(acc, c0); a01.intoArray(acc, c0 + 1 * L); a02.intoArray(acc, c0 + 2 * L); a03.intoArray(acc, c0 + 3 * L);
        a10.intoArray(acc, c1); a11.intoArray(acc, c1 + 1 * L); a12.intoArray(acc, c1 + 2 * L); a13.intoArray(acc, c1 + 3 * L);
        a20.intoArray(acc, c2); a21.intoArray(acc, c2 + 1 * L); a22.intoArray(acc, c2 + 2 * L); a23.intoArray(acc, c2 + 3 * L);
        a30.intoArray(acc, c3); a31.intoArray(acc, c3 + 1 * L); a32.intoArray(acc, c3 + 2 * L); a33.intoArray(acc, c3 + 3 * L);
    }

    /** Rows [r, r + 2) of x times the chunk's k in [k0, k1), accumulated into acc[row * pw ...]. */
    private static void rows2(float[] x, int r, int k, int k0, int k1, float[] t, float[] acc, boolean first) {
        final int pw = PW;
        int c0 = r * pw;
        FloatVector a00 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0), a01 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0 + 1 * L), a02 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0 + 2 * L), a03 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0 + 3 * L);
        int c1 = (r + 1) * pw;
        FloatVector a10 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c1), a11 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c1 + 1 * L), a12 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c1 + 2 * L), a13 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c1 + 3 * L);
        int x0 = r * k;
        for (int i = k0; i < k1; i++) {
            int ti = (i - k0) * pw;
            FloatVector w0 = FloatVector.fromArray(S, t, ti);
            FloatVector w1 = FloatVector.fromArray(S, t, ti + 1 * L);
            FloatVector w2 = FloatVector.fromArray(S, t, ti + 2 * L);
            FloatVector w3 = FloatVector.fromArray(S, t, ti + 3 * L);
            FloatVector v = FloatVector.broadcast(S, x[x0 + i]);
            a00 = w0.fma(v, a00); a01 = w1.fma(v, a01); a02 = w2.fma(v, a02); a03 = w3.fma(v, a03);
            v = FloatVector.broadcast(S, x[x0 + 1 * k + i]);
            a10 = w0.fma(v, a10); a11 = w1.fma(v, a11); a12 = w2.fma(v, a12); a13 = w3.fma(v, a13);
        }
        a00.intoArray(acc, c0); a01.intoArray(acc, c0 + 1 * L); a02.intoArray(acc, c0 + 2 * L); a03.intoArray(acc, c0 + 3 * L);
        a10.intoArray(acc, c1); a11.intoArray(acc, c1 + 1 * L); a12.intoArray(acc, c1 + 2 * L); a13.intoArray(acc, c1 + 3 * L);
    }

    /** Rows [r, r + 1) of x times the chunk's k in [k0, k1), accumulated into acc[row * pw ...]. */
    private static void rows1(float[] x, int r, int k, int k0, int k1, float[] t, float[] acc, boolean first) {
        final int pw = PW;
        int c0 = r * pw;
        FloatVector a00 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0), a01 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0 + 1 * L), a02 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0 + 2 * L), a03 = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, c0 + 3 * L);
        int x0 = r * k;
        for (int i = k0; i < k1; i++) {
            int ti = (i - k0) * pw;
            FloatVector w0 = FloatVector.fromArray(S, t, ti);
            FloatVector w1 = FloatVector.fromArray(S, t, ti + 1 * L);
            FloatVector w2 = FloatVector.fromArray(S, t, ti + 2 * L);
            FloatVector w3 = FloatVector.fromArray(S, t, ti + 3 * L);
            FloatVector v = FloatVector.broadcast(S, x[x0 + i]);
            a00 = w0.fma(v, a00); a01 = w1.fma(v, a01); a02 = w2.fma(v, a02); a03 = w3.fma(v, a03);
        }
        a00.intoArray(acc, c0); a01.intoArray(acc, c0 + 1 * L); a02.intoArray(acc, c0 + 2 * L); a03.intoArray(acc, c0 + 3 * L);
    }

    // The float16-pair kernels name 512-bit species outright: through SPECIES_PREFERRED the two-panel
    // loop exceeds C2's inlining node budget. On narrower machines (L != 16) the pairs go through the
    // scalar widening and the chunked path instead.
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> PAIR_S = IntVector.SPECIES_512;
    private static final IntVector PAIR_MASK = IntVector.broadcast(PAIR_S, 0x8FFFE000);
    private static final FloatVector PAIR_UNSCALE = FloatVector.broadcast(F512, PackedMatrix.UNSCALE);

    /*
     * float16 pairs (see PackedMatrix) widened exactly by integer shifts: an arithmetic shift right by 3
     * moves a float16's sign, exponent and mantissa to their float32 places (sign copies and the other
     * half's bits are masked off); the float32 so read is the stored value times 2^-112, and one exact
     * multiply by a power of two gives the weight.
     */
    private static FloatVector low(IntVector v) {
        return v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE);
    }

    private static FloatVector high(IntVector v) {
        return v.lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE);
    }

    private static IntVector pairs(MemorySegment m, long at) {
        return IntVector.fromMemorySegment(PAIR_S, m, at, ByteOrder.LITTLE_ENDIAN);
    }

    /** Widens `steps` stored k steps of float16 pairs from byte `at` into dst[to + i * stride ...], 4L floats each. */
    static void pairsToF32(MemorySegment src, long at, int steps, float[] dst, int to, int stride) {
        if (L != 16) {
            // the same widening, one float at a time: int j of a step's half h holds outputs 2hL + j
            // (low bits) and (2h + 1)L + j (high bits)
            for (int i = 0; i < steps; i++) {
                for (int h = 0; h < 2; h++) {
                    for (int j = 0; j < L; j++) {
                        int v = src.get(I32LE, at + 4L * (i * 2 * L + h * L + j));
                        dst[to + i * stride + 2 * h * L + j] = Float.intBitsToFloat(((v << 16) >> 3) & 0x8FFFE000) * PackedMatrix.UNSCALE;
                        dst[to + i * stride + (2 * h + 1) * L + j] = Float.intBitsToFloat((v >> 3) & 0x8FFFE000) * PackedMatrix.UNSCALE;
                    }
                }
            }
            return;
        }
        for (int i = 0; i < steps; i++) {
            long s = at + i * 128L;
            int d = to + i * stride;
            IntVector a = pairs(src, s), b = pairs(src, s + 64);
            low(a).intoArray(dst, d);
            high(a).intoArray(dst, d + 16);
            low(b).intoArray(dst, d + 32);
            high(b).intoArray(dst, d + 48);
        }
    }

    /*
     * One row (a decode step at batch 1) is bound by streaming the weights, and the FMAs are cheap:
     * instead of widening each chunk into L1 and then reading it back (the memory idles while the FMAs
     * run), the weights are widened in registers as they arrive, two panels at a time so that eight
     * independent FMA chains and two memory streams are in flight. Each output is still one FMA chain
     * over k in order, so the result is bit for bit the one panel() gives.
     */
    private static void gemv(Threads threads, float[] x, PackedMatrix w, float[] bias, float[] y) {
        int panels = w.panels();
        int units = (panels + 1) / 2;
        threads.forEachPiece(units, 1, (from, to) -> {
            float[] out = SCRATCH.get().acc(2 * w.width());
            for (int u = from; u < to; u++) {
                int p = 2 * u;
                if (p + 1 < panels) {
                    twoPanels(x, w, p, out);
                    store(out, w, p, bias, y);
                    store(out, w, p + 1, bias, y);
                } else {
                    onePanel(x, w, p, out);
                    store(out, w, p, bias, y);
                }
            }
        });
    }

    /** Writes panel p's outputs (out[(p % 2) * width ...]) to y, adding the bias. */
    private static void store(float[] out, PackedMatrix w, int p, float[] bias, float[] y) {
        int pw = w.width(), o = p * pw;
        int valid = Math.min(pw, w.rows() - o);
        withBias(out, (p % 2) * pw, bias, o, y, o, valid);
    }

    /**
     * How far ahead of the vector loads twoPanels touches each stream. Touching 512 to 1024 bytes
     * ahead took the one-row matmul from about 21 to 25 GB/s (linear only, 2 threads); 1.5 KB and
     * more helped less.
     */
    private static final long READ_AHEAD = 768;
    private static int touched;

    private static void twoPanels(float[] x, PackedMatrix w, int p, float[] out) {
        // offset(p, 0) is the panel's start: its even steps, then from (k + 1) / 2 steps on, its odd ones
        twoPanels(x, w.data(), w.offset(p, 0), w.offset(p + 1, 0), w.cols(), out);
    }

    /*
     * 16-lane code (gemv runs only where L == 16): a k step of a panel is two int vectors, 128 bytes.
     * The widening is written out rather than called through low()/high(): this loop sits at C2's
     * inlining node budget, and past it the Vector API falls back to allocating code (10x slower).
     */
    private static void twoPanels(float[] x, MemorySegment m, long b0, long b1, int k, float[] out) {
        FloatVector a0 = FloatVector.zero(F512), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        long odd = (k + 1) / 2 * 128L;
        long last = m.byteSize() - 4;
        int sink = 0;
        for (int i = 0; i < k; i++) {
            long o = (i >> 1) * 128L + ((i & 1) == 0 ? 0 : odd);
            // read ahead in each stream: these plain loads start the cache-line fetches that the
            // vector loads will want a few steps on (Java has no prefetch instruction)
            sink ^= m.get(ValueLayout.JAVA_INT_UNALIGNED, Math.min(last, b0 + o + READ_AHEAD));
            sink ^= m.get(ValueLayout.JAVA_INT_UNALIGNED, Math.min(last, b0 + o + READ_AHEAD + 64));
            sink ^= m.get(ValueLayout.JAVA_INT_UNALIGNED, Math.min(last, b1 + o + READ_AHEAD));
            sink ^= m.get(ValueLayout.JAVA_INT_UNALIGNED, Math.min(last, b1 + o + READ_AHEAD + 64));
            FloatVector v = FloatVector.broadcast(F512, x[i]);
            IntVector p0 = IntVector.fromMemorySegment(PAIR_S, m, b0 + o, ByteOrder.LITTLE_ENDIAN);
            IntVector p1 = IntVector.fromMemorySegment(PAIR_S, m, b0 + o + 64, ByteOrder.LITTLE_ENDIAN);
            IntVector q0 = IntVector.fromMemorySegment(PAIR_S, m, b1 + o, ByteOrder.LITTLE_ENDIAN);
            IntVector q1 = IntVector.fromMemorySegment(PAIR_S, m, b1 + o + 64, ByteOrder.LITTLE_ENDIAN);
            a0 = p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE).fma(v, a0);
            a1 = p0.lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE).fma(v, a1);
            a2 = p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE).fma(v, a2);
            a3 = p1.lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE).fma(v, a3);
            c0 = q0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE).fma(v, c0);
            c1 = q0.lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE).fma(v, c1);
            c2 = q1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE).fma(v, c2);
            c3 = q1.lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE).fma(v, c3);
        }
        touched = sink; // keeps the read-ahead loads alive
        a0.intoArray(out, 0);
        a1.intoArray(out, 16);
        a2.intoArray(out, 32);
        a3.intoArray(out, 48);
        c0.intoArray(out, 64);
        c1.intoArray(out, 80);
        c2.intoArray(out, 96);
        c3.intoArray(out, 112);
    }

    private static void onePanel(float[] x, PackedMatrix w, int p, float[] out) {
        MemorySegment m = w.data();
        int k = w.cols();
        long b0 = w.offset(p, 0);
        long odd = (k + 1) / 2 * 128L;
        FloatVector a0 = FloatVector.zero(F512), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < k; i++) {
            long o = (i >> 1) * 128L + ((i & 1) == 0 ? 0 : odd);
            FloatVector v = FloatVector.broadcast(F512, x[i]);
            IntVector p0 = pairs(m, b0 + o), p1 = pairs(m, b0 + o + 64);
            a0 = low(p0).fma(v, a0);
            a1 = high(p0).fma(v, a1);
            a2 = low(p1).fma(v, a2);
            a3 = high(p1).fma(v, a3);
        }
        int at = (p % 2) * 64;
        a0.intoArray(out, at);
        a1.intoArray(out, at + 16);
        a2.intoArray(out, at + 32);
        a3.intoArray(out, at + 48);
    }

    /**
     * rows6 for a float16-pair chunk still in memory: widens each k step (even steps from byte `even`,
     * odd ones from `odd`), stores it to t for the rows after these, and uses it. 16-lane code. Widening
     * in a separate pass left the core waiting on memory with no FMAs to overlap (a quarter of batch-32
     * time); here the loads, with plain loads READ_AHEAD bytes on as in twoPanels, overlap the tile's FMAs.
     */
    private static void rows6Widen(float[] xs, int r, int k, int k0, int k1, MemorySegment m, long even, long odd, float[] t, float[] acc, boolean first) {
        final int pw = PW;
        int c0 = r * pw;
        FloatVector a00 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c0), a01 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c0 + 1 * 16), a02 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c0 + 2 * 16), a03 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c0 + 3 * 16);
        int c1 = (r + 1) * pw;
        FloatVector a10 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c1), a11 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c1 + 1 * 16), a12 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c1 + 2 * 16), a13 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c1 + 3 * 16);
        int c2 = (r + 2) * pw;
        FloatVector a20 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c2), a21 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c2 + 1 * 16), a22 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c2 + 2 * 16), a23 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c2 + 3 * 16);
        int c3 = (r + 3) * pw;
        FloatVector a30 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c3), a31 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c3 + 1 * 16), a32 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c3 + 2 * 16), a33 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c3 + 3 * 16);
        int c4 = (r + 4) * pw;
        FloatVector a40 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c4), a41 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c4 + 1 * 16), a42 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c4 + 2 * 16), a43 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c4 + 3 * 16);
        int c5 = (r + 5) * pw;
        FloatVector a50 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c5), a51 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c5 + 1 * 16), a52 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c5 + 2 * 16), a53 = first ? FloatVector.zero(F512) : FloatVector.fromArray(F512, acc, c5 + 3 * 16);
        int xb = r * k;
        long last = m.byteSize() - 4;
        int sink = 0;
        for (int i = k0; i < k1; i++) {
            int s = i - k0, ti = s * pw;
            long o = ((s & 1) == 0 ? even : odd) + (s >> 1) * 128L;
            sink ^= m.get(ValueLayout.JAVA_INT_UNALIGNED, Math.min(last, o + READ_AHEAD));
            sink ^= m.get(ValueLayout.JAVA_INT_UNALIGNED, Math.min(last, o + READ_AHEAD + 64));
            IntVector p0 = IntVector.fromMemorySegment(PAIR_S, m, o, ByteOrder.LITTLE_ENDIAN);
            IntVector p1 = IntVector.fromMemorySegment(PAIR_S, m, o + 64, ByteOrder.LITTLE_ENDIAN);
            FloatVector w0 = p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE);
            FloatVector w1 = p0.lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE);
            FloatVector w2 = p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE);
            FloatVector w3 = p1.lanewise(VectorOperators.ASHR, 3).and(PAIR_MASK).reinterpretAsFloats().mul(PAIR_UNSCALE);
            w0.intoArray(t, ti);
            w1.intoArray(t, ti + 16);
            w2.intoArray(t, ti + 32);
            w3.intoArray(t, ti + 48);
            FloatVector v = FloatVector.broadcast(F512, xs[xb + 6 * i + 0]);
            a00 = w0.fma(v, a00); a01 = w1.fma(v, a01); a02 = w2.fma(v, a02); a03 = w3.fma(v, a03);
            v = FloatVector.broadcast(F512, xs[xb + 6 * i + 1]);
            a10 = w0.fma(v, a10); a11 = w1.fma(v, a11); a12 = w2.fma(v, a12); a13 = w3.fma(v, a13);
            v = FloatVector.broadcast(F512, xs[xb + 6 * i + 2]);
            a20 = w0.fma(v, a20); a21 = w1.fma(v, a21); a22 = w2.fma(v, a22); a23 = w3.fma(v, a23);
            v = FloatVector.broadcast(F512, xs[xb + 6 * i + 3]);
            a30 = w0.fma(v, a30); a31 = w1.fma(v, a31); a32 = w2.fma(v, a32); a33 = w3.fma(v, a33);
            v = FloatVector.broadcast(F512, xs[xb + 6 * i + 4]);
            a40 = w0.fma(v, a40); a41 = w1.fma(v, a41); a42 = w2.fma(v, a42); a43 = w3.fma(v, a43);
            v = FloatVector.broadcast(F512, xs[xb + 6 * i + 5]);
            a50 = w0.fma(v, a50); a51 = w1.fma(v, a51); a52 = w2.fma(v, a52); a53 = w3.fma(v, a53);
        }
        touched = sink;
        a00.intoArray(acc, c0); a01.intoArray(acc, c0 + 1 * 16); a02.intoArray(acc, c0 + 2 * 16); a03.intoArray(acc, c0 + 3 * 16);
        a10.intoArray(acc, c1); a11.intoArray(acc, c1 + 1 * 16); a12.intoArray(acc, c1 + 2 * 16); a13.intoArray(acc, c1 + 3 * 16);
        a20.intoArray(acc, c2); a21.intoArray(acc, c2 + 1 * 16); a22.intoArray(acc, c2 + 2 * 16); a23.intoArray(acc, c2 + 3 * 16);
        a30.intoArray(acc, c3); a31.intoArray(acc, c3 + 1 * 16); a32.intoArray(acc, c3 + 2 * 16); a33.intoArray(acc, c3 + 3 * 16);
        a40.intoArray(acc, c4); a41.intoArray(acc, c4 + 1 * 16); a42.intoArray(acc, c4 + 2 * 16); a43.intoArray(acc, c4 + 3 * 16);
        a50.intoArray(acc, c5); a51.intoArray(acc, c5 + 1 * 16); a52.intoArray(acc, c5 + 2 * 16); a53.intoArray(acc, c5 + 3 * 16);
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
}
