package org.llmri.glm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.dataset.TokenStatistics;
import org.llmri.io.Npy;
import org.llmri.io.RowMajorMatrix;

/** The token-level GLM fitted from accumulated sufficient statistics equals the two-pass fit of the activations. */
class TokenStatisticsTest {
    @TempDir
    Path dir;

    static TokenStatistics.Design td(DesignMatrix d) {
        return new TokenStatistics.Design(d.values(), d.rows(), d.cols());
    }

    static double rel(double a, double b) {
        return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
    }

    /** Ragged prompts (reading mode) alternating task and control; gaps leave rows outside every event. */
    static Events events(Random rnd, int prompts, boolean gaps, int[] totalOut) {
        List<Events.Event> ev = new ArrayList<>();
        int t = 0;
        for (int i = 0; i < prompts; i++) {
            int d = 3 + rnd.nextInt(7);
            ev.add(new Events.Event(t, d, i % 2 == 0 ? "task" : "control", i + 2));
            t += d + (gaps ? 1 + rnd.nextInt(2) : 0);
        }
        totalOut[0] = t;
        return new Events(Path.of("events.tsv"), ev);
    }

    /** Units: offset + prompt random effect + AR(1) noise (ρ 0.4) + a task effect on every third; one constant unit. */
    static float[] data(Random rnd, Events e, int T, int units) {
        float[] y = new float[T * units];
        for (int u = 0; u < units; u++) {
            if (u == 5) {
                for (int t = 0; t < T; t++) y[t * units + u] = 2.5f;
                continue;
            }
            double offset = 3 * rnd.nextGaussian(), prev = 0;
            double[] level = new double[T];
            for (Events.Event ev : e.events()) {
                double b = rnd.nextGaussian() + (u % 3 == 0 && ev.trialType().equals("task") ? 0.8 : 0);
                for (int t = (int) ev.onset(); t < ev.end(); t++) level[t] = b;
            }
            for (int t = 0; t < T; t++) {
                prev = 0.4 * prev + rnd.nextGaussian();
                y[t * units + u] = (float) (offset + level[t] + prev);
            }
        }
        return y;
    }

    void compare(DesignMatrix d, NoiseModel noise, float[] y, int units, String... contrasts) {
        int T = d.rows();
        Path f = dir.resolve("y" + System.nanoTime() + ".npy");
        Npy.write(f, y, T, units);
        List<Contrast> cs = new ArrayList<>();
        cs.add(Contrast.parse("task - control", d.names()));
        for (String c : contrasts) cs.add(Contrast.parse(c, d.names()));
        GlmFitter fitter = new GlmFitter(d, noise, cs);
        FitResult two;
        try (RowMajorMatrix m = RowMajorMatrix.ofNpy(f)) {
            two = fitter.fit(m, 2, ProgressListener.NONE);
        }
        TokenStatistics st = new TokenStatistics(td(d), units);
        for (int t = 0; t < T; t++) st.add(y, t * units);
        Path sf = dir.resolve("s" + System.nanoTime() + ".npy"), df = dir.resolve("d" + System.nanoTime() + ".npy");
        st.write(sf, df);
        FitResult one = new GlmFitter(d, noise, cs).fit(TokenStatistics.read(sf, df));
        assertThat(one.dof()).isEqualTo(two.dof());
        assertThat(one.constant()).containsExactly(two.constant());
        assertThat(one.rho()).containsExactly(two.rho());
        if (noise instanceof NoiseModel.Ar1) assertThat(java.util.Arrays.stream(two.rho()).distinct().count()).isGreaterThan(5);
        for (int i = 0; i < cs.size(); i++) {
            ContrastMaps a = one.contrasts().get(i), b = two.contrasts().get(i);
            for (int u = 0; u < units; u++) {
                assertThat(rel(a.stat()[u], b.stat()[u])).as("%s stat unit %d", a.label(), u).isLessThan(1e-6);
                assertThat(rel(a.z()[u], b.z()[u])).as("%s z unit %d", a.label(), u).isLessThan(1e-6);
            }
            for (int v = 0; v < a.effect().length; v++) {
                assertThat(rel(a.effect()[v], b.effect()[v])).as("%s effect %d", a.label(), v).isLessThan(1e-6);
                assertThat(rel(a.variance()[v], b.variance()[v])).as("%s variance %d", a.label(), v).isLessThan(1e-6);
            }
        }
        for (Correction c : new Correction[] {Correction.FDR, Correction.BONFERRONI, Correction.NONE}) {
            // the corrected masks follow from z and p: identical
            boolean[] ma = Significance.of(one.contrasts().get(0), c, 0.05, Tail.TWO_SIDED, null, one.constant()).mask();
            boolean[] mb = Significance.of(two.contrasts().get(0), c, 0.05, Tail.TWO_SIDED, null, two.constant()).mask();
            assertThat(ma).as("%s mask", c).containsExactly(mb);
        }
    }

    @Test
    void olsAndAr1FromStatisticsEqualTheTwoPassFitOnRaggedPrompts() {
        Random rnd = new Random(1);
        int[] T = new int[1];
        Events e = events(rnd, 30, false, T);
        DesignMatrix d = DesignMatrix.fromEvents(e, T[0], DesignMatrix.Spec.defaults(), Path.of("y.npy"));
        float[] y = data(rnd, e, T[0], 200);
        compare(d, new NoiseModel.Ols(), y, 200);
        compare(d, new NoiseModel.Ar1(100), y, 200);
    }

    @Test
    void ar1WithoutTheConstantRemovesTheSameGlobalResidualMean() {
        Random rnd = new Random(2);
        int[] T = new int[1];
        Events e = events(rnd, 24, true, T);
        DesignMatrix full = DesignMatrix.fromEvents(e, T[0], DesignMatrix.Spec.defaults(), Path.of("y.npy"));
        int n = T[0];
        double[] v = new double[n * 2];
        for (int t = 0; t < n; t++) for (int j = 0; j < 2; j++) v[t * 2 + j] = full.get(t, full.names().indexOf(j == 0 ? "task" : "control"));
        DesignMatrix d = new DesignMatrix(List.of("task", "control"), n, v, 2, List.of());
        assertThat(new GlmFitter(d, new NoiseModel.Ols(), List.of()).spansConstant()).isFalse();
        float[] y = data(rnd, e, n, 150);
        compare(d, new NoiseModel.Ar1(100), y, 150, "F:task;control", "task");
        compare(d, new NoiseModel.Ols(), y, 150, "F:task;control", "task");
    }

    @Test
    void rankDeficientDesignWithDriftAndIntercept() {
        Random rnd = new Random(3);
        int[] T = new int[1];
        Events e = events(rnd, 20, false, T);
        DesignMatrix base = DesignMatrix.fromEvents(e, T[0], DesignMatrix.Spec.defaults(), Path.of("y.npy"));
        int n = T[0], p = base.cols() + 2;
        double[] v = new double[n * p];
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < base.cols(); j++) v[t * p + j] = base.get(t, j);
            v[t * p + base.cols()] = 1;
            v[t * p + base.cols() + 1] = (t - n / 2.0) / n;
        }
        List<String> names = new ArrayList<>(base.names());
        names.add("constant2");
        names.add("drift");
        DesignMatrix d = new DesignMatrix(names, n, v, base.conditions(), List.of());
        float[] y = data(rnd, e, n, 130);
        compare(d, new NoiseModel.Ols(), y, 130, "F:task - control;drift");
        compare(d, new NoiseModel.Ar1(100), y, 130, "F:task - control;drift");
    }

    /** A generation batch interleaves its prompts' tokens: the statistics do not depend on the arrival order. */
    @Test
    void rowsArrivingInterleavedGiveTheSameStatistics() {
        Random rnd = new Random(6);
        int prompts = 8, per = 5, T = prompts * per, units = 40;
        List<Events.Event> ev = new ArrayList<>();
        for (int i = 0; i < prompts; i++) ev.add(new Events.Event(i * per, per, i % 2 == 0 ? "task" : "control", i + 2));
        Events e = new Events(Path.of("events.tsv"), ev);
        DesignMatrix d = DesignMatrix.fromEvents(e, T, DesignMatrix.Spec.defaults(), Path.of("y.npy"));
        float[] y = data(rnd, e, T, units);
        TokenStatistics inOrder = new TokenStatistics(td(d), units), batched = new TokenStatistics(td(d), units);
        for (int t = 0; t < T; t++) inOrder.add(y, t * units);
        for (int b0 = prompts - 4; b0 >= 0; b0 -= 4) // batches of 4 prompts, the later batch first
            for (int k = 0; k < per; k++)
                for (int i = b0 + 3; i >= b0; i--) batched.add(i * per + k, y, (i * per + k) * units);
        assertThat(batched.heldRows()).isZero();
        assertThat(batched.rowsAdded()).isEqualTo(T);
        for (int i = 0; i < inOrder.values().length; i++) {
            assertThat(rel(batched.values()[i], inOrder.values()[i])).as("statistic %d", i).isLessThan(1e-12);
        }
        FitResult a = new GlmFitter(d, new NoiseModel.Ar1(100), List.of(Contrast.parse("task - control", d.names()))).fit(batched);
        FitResult b = new GlmFitter(d, new NoiseModel.Ar1(100), List.of(Contrast.parse("task - control", d.names()))).fit(inOrder);
        assertThat(a.rho()).containsExactly(b.rho());
    }

    @Test
    void refusesAnotherDesignOrMissingRows() {
        Random rnd = new Random(4);
        int[] T = new int[1];
        Events e = events(rnd, 10, false, T);
        DesignMatrix d = DesignMatrix.fromEvents(e, T[0], DesignMatrix.Spec.defaults(), Path.of("y.npy"));
        TokenStatistics st = new TokenStatistics(td(d), 3);
        st.add(new double[] {1, 2, 3});
        GlmFitter f = new GlmFitter(d, new NoiseModel.Ols(), List.of(Contrast.parse("task - control", d.names())));
        assertThatThrownBy(() -> f.fit(st)).isInstanceOf(LlmriException.class).hasMessageContaining("1 of the design's");
        int[] T2 = new int[1];
        Events e2 = events(new Random(5), 10, false, T2);
        DesignMatrix d2 = DesignMatrix.fromEvents(e2, T2[0], DesignMatrix.Spec.defaults(), Path.of("y.npy"));
        assertThatThrownBy(() -> new GlmFitter(d2, new NoiseModel.Ols(), List.of()).fit(st))
                .isInstanceOf(LlmriException.class).hasMessageContaining("another design");
    }
}
