package org.llmri.glm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.io.Npy;
import org.llmri.io.RowMajorMatrix;

/** False-positive rates on null data with AR(1) noise (rho 0.5), 640 time points in blocks of 128. */
class CalibrationTest {
    @TempDir Path dir;

    static Events blocks(int tokensPerEvent, int perBlock) {
        List<Events.Event> ev = new ArrayList<>();
        String[] pattern = {"control", "task", "control", "task", "control"};
        int onset = 0, line = 2;
        for (String kind : pattern) {
            for (int i = 0; i < perBlock; i++) {
                ev.add(new Events.Event(onset, tokensPerEvent, kind, line++));
                onset += tokensPerEvent;
            }
        }
        return new Events(Path.of("events.tsv"), ev);
    }

    static double[] nullSeries(int T, int units, double rho, long seed) {
        return SyntheticScan.series(T, units, rho, 0, 0, List.of(), seed);
    }

    @Test
    void ar1FalsePositiveRateIsNominalWhereOlsIsInflated() {
        int T = 640, U = 20_000;
        Path f = dir.resolve("null.npy");
        Npy.write(f, nullSeries(T, U, 0.5, 11), T, U);
        DesignMatrix d = DesignMatrix.fromEvents(blocks(128, 1), T, DesignMatrix.Spec.defaults(), f);
        Contrast c = Contrast.parse("task - control", d.names());
        double[] rates = new double[2];
        NoiseModel[] models = {new NoiseModel.Ar1(100), new NoiseModel.Ols()};
        for (int i = 0; i < 2; i++) {
            try (RowMajorMatrix y = RowMajorMatrix.ofNpy(f)) {
                ContrastMaps m = new GlmFitter(d, models[i], List.of(c)).fit(y, 2, ProgressListener.NONE).contrasts().get(0);
                double[] p = m.pFor(Tail.TWO_SIDED);
                int hits = 0;
                for (double v : p) if (v < 0.05) hits++;
                rates[i] = hits / (double) U;
            }
        }
        System.out.printf("false-positive rate at p < 0.05 (two-sided), 20000 null units: AR(1) %.4f, OLS %.4f%n", rates[0], rates[1]);
        assertThat(rates[0]).isBetween(0.04, 0.065);
        assertThat(rates[1]).isGreaterThan(0.15);
    }

    /**
     * 100 seeded null datasets of 640 time points x 500 units (20 events of 32 time points in blocks of 128),
     * max-T with 200 permutations each: at FWER 0.05 at most 8 datasets may flag any unit.
     */
    @Test
    void maxTControlsTheFamilyWiseErrorRate() {
        int T = 640, U = 500, datasets = 100;
        Path f = dir.resolve("null.npy");
        Events ev = blocks(32, 4);
        GlmOptions opts = GlmOptions.defaults().withPermutations(200, 0).withThreads(2).withCorrections(List.of(Correction.FWE), 0.05);
        int flagged = 0;
        for (int k = 0; k < datasets; k++) {
            Npy.write(f, nullSeries(T, U, 0.5, 1000 + k), T, U);
            try (RowMajorMatrix y = RowMajorMatrix.ofNpy(f)) {
                DesignMatrix d = DesignMatrix.fromEvents(ev, T, DesignMatrix.Spec.defaults(), f);
                MultiRunFit.Fitted fit = MultiRunFit.fit(List.of(new MultiRunFit.RunInput(y, d)), opts.withPermutations(200, k), ProgressListener.NONE);
                ContrastMaps m = fit.fits().get(0).contrasts().get(0);
                Significance s = Significance.of(m, Correction.FWE, 0.05, Tail.TWO_SIDED, fit.maxRun()[0][0], fit.fits().get(0).constant());
                if (s.count() > 0) flagged++;
            }
        }
        System.out.printf("max-T FWER 0.05: %d of %d null datasets flagged a unit%n", flagged, datasets);
        assertThat(flagged).isLessThanOrEqualTo(8);
    }
}
