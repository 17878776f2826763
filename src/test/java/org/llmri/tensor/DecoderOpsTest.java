package org.llmri.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The decoder families' elementwise kernels against double-precision formulas, and alike in every lane and the tail. */
class DecoderOpsTest {
    static float[] values(int n) {
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * 4);
        x[0] = 0f;
        x[1] = -30f;
        x[2] = 30f;
        x[3] = -1e-4f;
        return x;
    }

    @Test
    void geluTanhIsGpt2sGeluNew() {
        float[] x = values(1001), y = x.clone();
        try (Threads t = new Threads(2)) {
            Ops.geluTanh(t, y, y.length);
        }
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            double want = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            assertThat((double) y[i]).as("x=" + v).isCloseTo(want, within(2e-6 * Math.max(1, Math.abs(want))));
        }
    }

    @Test
    void siluIsXTimesSigmoid() {
        float[] x = values(1001), y = x.clone();
        try (Threads t = new Threads(2)) {
            Ops.silu(t, y, y.length);
        }
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            double want = v / (1 + Math.exp(-v));
            assertThat((double) y[i]).as("x=" + v).isCloseTo(want, within(2e-6 * Math.max(1, Math.abs(want))));
        }
    }

    @Test
    void everyLaneAndTheTailComputeAlike() {
        float[] x = values(37);
        float[] a = x.clone(), b = x.clone();
        Ops.silu(a, 0, a.length);
        for (int i = 0; i < b.length; i++) Ops.silu(b, i, i + 1); // each element in the scalar tail
        assertThat(a).containsExactly(b);
        a = x.clone();
        b = x.clone();
        Ops.geluTanh(a, 0, a.length);
        for (int i = 0; i < b.length; i++) Ops.geluTanh(b, i, i + 1);
        assertThat(a).containsExactly(b);
    }

    @Test
    void rmsNormHasNoMeanAndNoBias() {
        float[] x = {1, 2, 3, 4, -1, -2, -3, 10}, w = {1, 1, 1, 1, 2, 2, 2, 2}, out = new float[8];
        try (Threads t = new Threads(1)) {
            Ops.rmsNorm(t, x, out, 1, 8, w, 1e-5f);
        }
        double ms = 0;
        for (float v : x) ms += v * v;
        double inv = 1 / Math.sqrt(ms / 8 + 1e-5);
        for (int i = 0; i < 8; i++) assertThat((double) out[i]).isCloseTo(x[i] * inv * w[i], within(1e-6));
    }

    @Test
    void ropeRotatesPairsHalfADimensionApart() {
        int d = 40, half = d / 2; // 20: two vectors of 8 (or one of 16) and a tail
        float[] freq = Ops.ropeFrequencies(d, 10000);
        assertThat(freq[0]).isEqualTo(1f);
        assertThat((double) freq[1]).isCloseTo(Math.pow(10000, -2.0 / d), within(1e-7));
        float[] cos = new float[half], sin = new float[half];
        int pos = 7;
        Ops.ropeAngles(pos, freq, cos, sin);
        float[] x = values(d + 3), y = x.clone();
        Ops.rope(y, 3, half, cos, sin);
        for (int j = 0; j < half; j++) {
            double angle = pos * (double) freq[j];
            double a = x[3 + j], b = x[3 + half + j];
            assertThat((double) y[3 + j]).isCloseTo(a * Math.cos(angle) - b * Math.sin(angle), within(1e-5));
            assertThat((double) y[3 + half + j]).isCloseTo(b * Math.cos(angle) + a * Math.sin(angle), within(1e-5));
        }
        assertThat(Arrays.copyOf(y, 3)).containsExactly(Arrays.copyOf(x, 3)); // nothing outside the block moves
    }
}
