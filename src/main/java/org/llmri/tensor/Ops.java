package org.llmri.tensor;

import static org.llmri.tensor.Matmul.L;
import static org.llmri.tensor.Matmul.S;

import jdk.incubator.vector.FloatVector;

/**
 * Elementwise and row-wise kernels beside the matrix multiply: norms, activations, softmax pieces,
 * residual adds. Each is computed alike in every lane, in the scalar tail and before and after JIT
 * compilation, so results do not depend on the batch or on warm-up.
 */
public final class Ops {
    private Ops() {}

    /** The dot product of a[ao, ao + n) and b[bo, bo + n) in the kernels' fixed order. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        }
        float sum = Matmul.sum(acc);
        for (; i < n; i++) sum += a[ao + i] * b[bo + i];
        return sum;
    }

    /**
     * LayerNorm over each row of n values, as torch computes it: mean, biased variance, eps inside the
     * square root; the weight and bias may be null (no elementwise affine).
     */
    public static void layerNorm(Threads threads, float[] x, float[] out, int rows, int n, float[] weight, float[] bias, float eps) {
        threads.forRange(rows, 1, (from, to) -> layerNormRows(x, out, from, to, n, weight, bias, eps));
    }

    private static void layerNormRows(float[] x, float[] out, int fromRow, int toRow, int n, float[] weight, float[] bias, float eps) {
        for (int r = fromRow; r < toRow; r++) {
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

    /** Exact (erf) GELU over [0, n), in place, split over the threads (each element is computed alike anywhere). */
    public static void gelu(Threads threads, float[] x, int n) {
        threads.forRange(n, 4096, (from, to) -> gelu(x, from, to));
    }

    /** Exact (erf) GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), in place over [from, to). */
    public static void gelu(float[] x, int from, int to) {
        int i = from;
        int bound = from + S.loopBound(to - from);
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
        for (; i < to; i++) {
            float v = x[i];
            float z = Math.abs(v) * INV_SQRT2;
            float t = 1f / (z * ERF_P + 1f);
            float poly = ((((t * A5 + A4) * t + A3) * t + A2) * t + A1) * t;
            float erfAbs = 1f - poly * expNegative(-(z * z));
            float erf = v < 0f ? -erfAbs : erfAbs;
            x[i] = v * 0.5f * (erf + 1f);
        }
    }

    /** x[i] = e^(x[i] - shift) over [0, n), for x[i] <= shift (softmax numerators); the same in every lane and the tail. */
    public static void expShifted(float[] x, int n, float shift) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) expNegative(FloatVector.fromArray(S, x, i).sub(shift)).intoArray(x, i);
        for (; i < n; i++) x[i] = expNegative(x[i] - shift);
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

    /**
     * out[oo + d] = sum over j < len of (w[j] * scale) * rows[at + j * n + d], for d < n: attention's
     * probabilities times the values. Each output is one FMA chain over j from 0, as a loop of axpy
     * calls gives, but a head of 4L values is kept in registers rather than stored and reloaded for every
     * position (which chained each step through a store and a load).
     */
    public static void weightedSum(float[] w, float scale, int len, float[] rows, int at, int n, float[] out, int oo) {
        if (n == 4 * L) {
            FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
            for (int j = 0, r = at; j < len; j++, r += n) {
                FloatVector p = FloatVector.broadcast(S, w[j] * scale);
                c0 = FloatVector.fromArray(S, rows, r).fma(p, c0);
                c1 = FloatVector.fromArray(S, rows, r + L).fma(p, c1);
                c2 = FloatVector.fromArray(S, rows, r + 2 * L).fma(p, c2);
                c3 = FloatVector.fromArray(S, rows, r + 3 * L).fma(p, c3);
            }
            c0.intoArray(out, oo);
            c1.intoArray(out, oo + L);
            c2.intoArray(out, oo + 2 * L);
            c3.intoArray(out, oo + 3 * L);
            return;
        }
        java.util.Arrays.fill(out, oo, oo + n, 0f);
        for (int j = 0; j < len; j++) axpy(w[j] * scale, rows, at + j * n, out, oo, n);
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

    /**
     * RMSNorm over each row of n values, as Llama computes it: x * rsqrt(mean(x^2) + eps) * weight, no mean
     * subtracted, no bias (the mean of squares in double, like layerNorm's moments).
     */
    public static void rmsNorm(Threads threads, float[] x, float[] out, int rows, int n, float[] weight, float eps) {
        threads.forRange(rows, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * n;
                double ss = 0;
                for (int i = 0; i < n; i++) ss += (double) x[o + i] * x[o + i];
                float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
                for (int i = 0; i < n; i++) out[o + i] = x[o + i] * inv * weight[i];
            }
        });
    }

    private static final float SQRT_2_OVER_PI = 0.7978845608028654f;

    /** GPT-2's gelu_new (the tanh approximation), 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in place over [0, n). */
    public static void geluTanh(Threads threads, float[] x, int n) {
        threads.forRange(n, 4096, (from, to) -> geluTanh(x, from, to));
    }

    static void geluTanh(float[] x, int from, int to) {
        int i = from;
        int bound = from + S.loopBound(to - from);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector u = v.mul(v).mul(0.044715f).add(1f).mul(v).mul(SQRT_2_OVER_PI);
            // tanh(u) = sign(u) (1 - e^-2|u|) / (1 + e^-2|u|), with e^-2|u| from the same exp as the softmax
            FloatVector e = expNegative(u.abs().mul(-2f));
            FloatVector t = FloatVector.broadcast(S, 1f).sub(e).div(e.add(1f));
            t = t.blend(t.neg(), u.lt(0f));
            v.mul(0.5f).mul(t.add(1f)).intoArray(x, i);
        }
        for (; i < to; i++) {
            float v = x[i];
            float u = (1f + 0.044715f * v * v) * v * SQRT_2_OVER_PI;
            float e = expNegative(-2f * Math.abs(u));
            float t = (1f - e) / (e + 1f);
            if (u < 0f) t = -t;
            x[i] = v * 0.5f * (t + 1f);
        }
    }

    /** SiLU, x * sigmoid(x), in place over [0, n). */
    public static void silu(Threads threads, float[] x, int n) {
        threads.forRange(n, 4096, (from, to) -> silu(x, from, to));
    }

    static void silu(float[] x, int from, int to) {
        int i = from;
        int bound = from + S.loopBound(to - from);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            // e^-|x| never overflows; sigmoid is 1/(1+e) for x >= 0 and e/(1+e) below
            FloatVector e = expNegative(v.abs().neg());
            FloatVector num = FloatVector.broadcast(S, 1f).blend(e, v.lt(0f));
            v.mul(num.div(e.add(1f))).intoArray(x, i);
        }
        for (; i < to; i++) {
            float v = x[i];
            float e = expNegative(-Math.abs(v));
            x[i] = v * ((v < 0f ? e : 1f) / (e + 1f));
        }
    }

    /** a[i] *= b[i] over [0, n). */
    public static void mulInPlace(float[] a, float[] b, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, a, i).mul(FloatVector.fromArray(S, b, i)).intoArray(a, i);
        }
        for (; i < n; i++) a[i] *= b[i];
    }

    /**
     * The rotary frequencies of a block of d dims with this base, as Hugging Face computes them in
     * float32: 1 / base^(2j/d) for j < d/2.
     */
    public static float[] ropeFrequencies(int d, double base) {
        float[] f = new float[d / 2];
        for (int j = 0; j < d / 2; j++) f[j] = (float) (1.0 / Math.pow(base, (float) (2 * j) / d));
        return f;
    }

    /** cos and sin of position * frequency (the product rounded to float32, as torch forms it). */
    public static void ropeAngles(int position, float[] freq, float[] cos, float[] sin) {
        for (int j = 0; j < freq.length; j++) {
            float a = (float) position * freq[j];
            cos[j] = (float) Math.cos(a);
            sin[j] = (float) Math.sin(a);
        }
    }

    /**
     * Rotary embedding in the rotate-half layout, in place on x[at, at + 2 half): dims j and j + half form a
     * pair, out[j] = x[j] cos - x[j+half] sin, out[j+half] = x[j+half] cos + x[j] sin.
     */
    public static void rope(float[] x, int at, int half, float[] cos, float[] sin) {
        int j = 0;
        int bound = S.loopBound(half);
        for (; j < bound; j += L) {
            FloatVector a = FloatVector.fromArray(S, x, at + j);
            FloatVector b = FloatVector.fromArray(S, x, at + half + j);
            FloatVector c = FloatVector.fromArray(S, cos, j);
            FloatVector s = FloatVector.fromArray(S, sin, j);
            a.mul(c).sub(b.mul(s)).intoArray(x, at + j);
            b.mul(c).add(a.mul(s)).intoArray(x, at + half + j);
        }
        for (; j < half; j++) {
            float a = x[at + j], b = x[at + half + j];
            x[at + j] = a * cos[j] - b * sin[j];
            x[at + half + j] = b * cos[j] + a * sin[j];
        }
    }
}
