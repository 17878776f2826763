package org.llmri.glm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.io.Npy;
import org.llmri.io.RowMajorMatrix;

class ContrastTest {
    @TempDir Path dir;
    static final List<String> COLS = List.of("task", "control", "a", "b", "constant");

    @Test
    void parsesLinearExpressionsAndNamesThemAsNilearn() {
        Contrast c = Contrast.parse("task - control", COLS);
        assertThat(c.vector()).containsExactly(1, -1, 0, 0, 0);
        assertThat(c.label()).isEqualTo("taskMinusControl");
        assertThat(Contrast.parse("2*task - a - b", COLS).vector()).containsExactly(2, 0, -1, -1, 0);
        assertThat(Contrast.parse("(a + b)/2 - control", COLS).vector()).containsExactly(0, -1, 0.5, 0.5, 0);
        assertThat(Contrast.parse("-task*3 + 0.5 a", COLS).vector()).containsExactly(-3, 0, 0.5, 0, 0);
        Contrast f = Contrast.parse("effects=F:task;control", COLS);
        assertThat(f.isF()).isTrue();
        assertThat(f.rows()).hasDimensions(2, 5);
        assertThat(f.label()).isEqualTo("effects");
        assertThat(Contrast.parse("a + b", COLS).label()).isEqualTo("aPlusB");
    }

    @Test
    void badExpressionsAreOneLineErrors() {
        assertThatThrownBy(() -> Contrast.parse("task - nope", COLS)).isInstanceOf(LlmriException.class)
                .hasMessageContaining("no design column 'nope'").hasMessageContaining("task, control");
        assertThatThrownBy(() -> Contrast.parse("task * control", COLS)).hasMessageContaining("cannot be multiplied");
        assertThatThrownBy(() -> Contrast.parse("task - 1", COLS)).hasMessageContaining("constant term");
        assertThatThrownBy(() -> Contrast.parse("task - (control", COLS)).hasMessageContaining("missing ')'");
    }

    /** Conditions covering every time point plus the constant: pinv fit, estimable contrasts as the full-rank model. */
    @Test
    void rankDeficientDesignGivesTheFullRankAnswerAndRefusesNonEstimable() {
        int T = 200, U = 30;
        Events ev = CalibrationTest.blocks(20, 2);
        Path f = dir.resolve("y.npy");
        double[] y = SyntheticScan.series(T, U, 0.4, 10, 0.5, List.of(), 3);
        for (Events.Event e : ev.events()) {
            if (!e.trialType().equals("task")) continue;
            for (int t = (int) e.onset(); t < e.end(); t++) for (int u = 0; u < 10; u++) y[t * U + u] += 0.5;
        }
        Npy.write(f, y, T, U);
        DesignMatrix deficient = DesignMatrix.fromEvents(ev, T, DesignMatrix.Spec.defaults(), f);
        assertThat(deficient.names()).containsExactly("control", "task", "constant");
        // the same model, full rank: task indicator plus the constant
        double[] v = new double[T * 2];
        for (int t = 0; t < T; t++) {
            v[t * 2] = deficient.get(t, 1);
            v[t * 2 + 1] = 1;
        }
        DesignMatrix full = new DesignMatrix(List.of("task", "constant"), T, v, 0, List.of());
        for (NoiseModel noise : List.of(new NoiseModel.Ols(), new NoiseModel.Ar1(100))) {
            try (RowMajorMatrix m = RowMajorMatrix.ofNpy(f)) {
                GlmFitter fd = new GlmFitter(deficient, noise, List.of(Contrast.parse("task - control", deficient.names())));
                assertThat(fd.rank()).isEqualTo(2);
                assertThat(fd.dof()).isEqualTo(T - 2);
                ContrastMaps a = fd.fit(m, 1, ProgressListener.NONE).contrasts().get(0);
                ContrastMaps b = new GlmFitter(full, noise, List.of(Contrast.parse("task", full.names()))).fit(m, 1, ProgressListener.NONE).contrasts().get(0);
                for (int u = 0; u < U; u++) {
                    assertThat(GlmFitterTest.rel(a.stat()[u], b.stat()[u])).as("%s unit %d", noise, u).isLessThan(1e-9);
                    assertThat(GlmFitterTest.rel(a.effect()[u], b.effect()[u])).isLessThan(1e-9);
                }
            }
        }
        assertThatThrownBy(() -> new GlmFitter(deficient, new NoiseModel.Ar1(100), List.of(Contrast.parse("task", deficient.names()))))
                .isInstanceOf(LlmriException.class).hasMessageContaining("contrast 'task' is not estimable")
                .hasMessageContaining("rank 2").hasMessageNotContaining("\n");
    }

    @Test
    void fContrastOnTwoConditionsMatchesTSquaredForOneRow() {
        int T = 160, U = 12;
        Events ev = CalibrationTest.blocks(16, 2);
        Path f = dir.resolve("y.npy");
        Npy.write(f, SyntheticScan.series(T, U, 0.2, 0, 0, List.of(), 5), T, U);
        DesignMatrix d = DesignMatrix.fromEvents(ev, T, new DesignMatrix.Spec(Hrf.NONE, new Drift.Polynomial(2), List.of(), null, 1), f);
        try (RowMajorMatrix m = RowMajorMatrix.ofNpy(f)) {
            FitResult r = new GlmFitter(d, new NoiseModel.Ar1(100), List.of(Contrast.parse("task - control", d.names()),
                    Contrast.parse("F:task - control", d.names()))).fit(m, 1, ProgressListener.NONE);
            ContrastMaps t = r.contrasts().get(0), fm = r.contrasts().get(1);
            assertThat(fm.isF()).isTrue();
            for (int u = 0; u < U; u++) {
                assertThat(GlmFitterTest.rel(fm.stat()[u], t.stat()[u] * t.stat()[u])).isLessThan(1e-9);
                // the F p equals the two-sided t p
                assertThat(GlmFitterTest.rel(fm.p()[u], t.pFor(Tail.TWO_SIDED)[u])).isLessThan(1e-8);
            }
        }
    }
}
