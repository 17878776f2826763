package org.llmri.glm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.llmri.LlmriException;
import org.llmri.io.RowMajorMatrix;
import org.llmri.io.Tsv;

class GlmFitterTest {
    static Path res(String name) throws Exception {
        return Path.of(GlmFitterTest.class.getResource("/glm/" + name).toURI());
    }

    static double rel(double a, double b) {
        return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
    }

    @Test
    void olsTMatchesStatsmodelsTo1e8() throws Exception {
        DesignMatrix d = DesignMatrix.readTsv(res("ols_design.tsv"));
        Contrast c = Contrast.parse("task - 0.5*cov1", d.names());
        Tsv.Table exp = Tsv.read(res("ols_expected.tsv"));
        double[] t = exp.numbers("t"), eff = exp.numbers("effect"), sd = exp.numbers("sd");
        for (int threads : new int[] {1, 2}) {
            try (RowMajorMatrix y = RowMajorMatrix.ofNpy(res("ols_Y.npy"))) {
                FitResult r = new GlmFitter(d, new NoiseModel.Ols(), List.of(c)).fit(y, threads, ProgressListener.NONE);
                ContrastMaps m = r.contrasts().get(0);
                assertThat(r.dof()).isEqualTo(296);
                for (int u = 0; u < t.length; u++) {
                    assertThat(rel(m.stat()[u], t[u])).as("t unit %d", u).isLessThan(1e-8);
                    assertThat(rel(m.effect()[u], eff[u])).isLessThan(1e-8);
                    assertThat(rel(Math.sqrt(m.variance()[u]), sd[u])).isLessThan(1e-8);
                }
            }
        }
    }

    @Test
    void ar1MatchesNilearnAlgorithmWhereBinsAgree() throws Exception {
        DesignMatrix d = DesignMatrix.readTsv(res("ar1_design.tsv"));
        Contrast c = Contrast.parse("block", d.names());
        Tsv.Table exp = Tsv.read(res("ar1_expected.tsv"));
        double[] rho = exp.numbers("rho"), eff = exp.numbers("effect"), var = exp.numbers("variance"), t = exp.numbers("t");
        try (RowMajorMatrix y = RowMajorMatrix.ofNpy(res("ar1_Y.npy"))) {
            FitResult r = new GlmFitter(d, new NoiseModel.Ar1(100), List.of(c)).fit(y, 2, ProgressListener.NONE);
            ContrastMaps m = r.contrasts().get(0);
            int agree = 0;
            for (int u = 0; u < t.length; u++) {
                if (r.rho()[u] != rho[u]) continue;
                agree++;
                assertThat(rel(m.stat()[u], t[u])).as("t unit %d", u).isLessThan(1e-6);
                assertThat(rel(m.effect()[u], eff[u])).isLessThan(1e-6);
                assertThat(rel(m.variance()[u], var[u])).isLessThan(1e-6);
            }
            assertThat(agree).isGreaterThanOrEqualTo(t.length - 1);
        }
    }

    /** Without the constant in the design the residuals' global mean is not zero: a first pass finds it. */
    @Test
    void ar1WithoutConstantRemovesTheGlobalResidualMeanAsNilearn() throws Exception {
        DesignMatrix full = DesignMatrix.readTsv(res("ar1_design.tsv"));
        int T = full.rows();
        double[] v = new double[T * 4];
        int[] keep = {0, 2, 3, 4};
        for (int t = 0; t < T; t++) for (int j = 0; j < 4; j++) v[t * 4 + j] = full.get(t, keep[j]);
        DesignMatrix d = new DesignMatrix(List.of("block", "c1", "c2", "c3"), T, v, 0, List.of());
        Tsv.Table exp = Tsv.read(res("ar1_noconst_expected.tsv"));
        double[] rho = exp.numbers("rho"), t = exp.numbers("t");
        try (RowMajorMatrix y = RowMajorMatrix.ofNpy(res("ar1_Y.npy"))) {
            GlmFitter f = new GlmFitter(d, new NoiseModel.Ar1(100), List.of(Contrast.parse("block", d.names())));
            assertThat(f.spansConstant()).isFalse();
            FitResult r = f.fit(y, 2, ProgressListener.NONE);
            int agree = 0;
            for (int u = 0; u < t.length; u++) {
                if (r.rho()[u] != rho[u]) continue;
                agree++;
                assertThat(rel(r.contrasts().get(0).stat()[u], t[u])).as("t unit %d", u).isLessThan(1e-6);
            }
            assertThat(agree).isGreaterThanOrEqualTo(t.length - 1);
        }
    }
}
