package org.llmri.glm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.io.Npy;
import org.llmri.io.RowMajorMatrix;

/** The permutation engine's statistic for the observed labelling is the directly fitted t. */
class PermutationEngineTest {
    @TempDir Path dir;

    @Test
    void observedLabellingReproducesTheFittedT() {
        int T = 320, U = 200;
        Events ev = CalibrationTest.blocks(16, 4);
        Path f = dir.resolve("y.npy");
        double[] y = SyntheticScan.series(T, U, 0.5, 20, 0.8, List.of(), 9);
        for (int i = 0; i < y.length; i++) y[i] += 100; // large offsets must not cost precision
        Npy.write(f, y, T, U);
        List<DesignMatrix.Spec> specs = List.of(DesignMatrix.Spec.defaults(),
                new DesignMatrix.Spec(Hrf.SPM, new Drift.Cosine(128), List.of(DesignMatrix.Nuisance.TOKEN_POSITION, DesignMatrix.Nuisance.FIRST_TOKEN), null, 1),
                new DesignMatrix.Spec(Hrf.GLOVER, new Drift.Polynomial(3), List.of(), null, 1));
        for (DesignMatrix.Spec spec : specs) {
            DesignMatrix d = DesignMatrix.fromEvents(ev, T, spec, f);
            for (NoiseModel noise : List.of(new NoiseModel.Ols(), new NoiseModel.Ar1(100))) {
                Contrast c = Contrast.parse("task - control", d.names());
                GlmFitter fitter = new GlmFitter(d, noise, List.of(c));
                PermutationEngine eng = new PermutationEngine(List.of(d), List.of(c.vector()), noise, 3, 1, Tail.TWO_SIDED);
                int width = GlmFitter.slabWidth(T, U);
                double[] buf = new double[T * width];
                FitResult res = fitter.newResult(U);
                PermutationEngine.RunStats st = eng.newStats(0, width);
                try (RowMajorMatrix m = RowMajorMatrix.ofNpy(f)) {
                    m.readColumns(0, U, buf, width);
                }
                fitter.fitSlab(buf, width, U, 0, res, fitter.workspace(), st);
                fitter.finish(res);
                double[] t = eng.observedT(st, 0, U, 0);
                int same = 0;
                for (int u = 0; u < U; u++) {
                    double rel = GlmFitterTest.rel(t[u], res.contrasts().get(0).stat()[u]);
                    if (rel < 1e-7) same++;
                }
                // a unit whose AR coefficient sits on a bin edge may fall in the neighbouring bin
                assertThat(same).as("%s %s", spec.hrf(), noise).isGreaterThanOrEqualTo(U - 2);
            }
        }
    }
}
