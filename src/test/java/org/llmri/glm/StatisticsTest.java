package org.llmri.glm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;

class StatisticsTest {
    static java.nio.file.Path res(String n) throws Exception {
        return GlmFitterTest.res(n);
    }

    @Test
    void tTailsAndZScoresMatchExactValuesFarOut() throws Exception {
        Tsv.Table t = Tsv.read(res("tails.tsv"));
        double[] dof = t.numbers("dof"), tv = t.numbers("t"), log10 = t.numbers("log10_sf"), z = t.numbers("z");
        for (int i = 0; i < dof.length; i++) {
            double lp = Distributions.logSfT(tv[i], dof[i]) / Math.log(10);
            assertThat(GlmFitterTest.rel(lp, log10[i])).as("log10 sf t=%s dof=%s", tv[i], dof[i]).isLessThan(1e-10);
            assertThat(GlmFitterTest.rel(Distributions.zFromT(tv[i], dof[i]), z[i])).as("z t=%s dof=%s", tv[i], dof[i]).isLessThan(1e-9);
            assertThat(Distributions.zFromT(-tv[i], dof[i])).isEqualTo(-Distributions.zFromT(tv[i], dof[i]));
        }
    }

    @Test
    void zUpToThirtySevenIsFiniteWithPositivePAndMonotone() {
        double dof = 1e6;
        double prevZ = -Double.MAX_VALUE, prevP = 2;
        for (double t = -40; t <= 40; t += 0.05) {
            double z = Distributions.zFromT(t, dof), p = Distributions.pFromT(t, dof);
            assertThat(z).isFinite().isGreaterThan(prevZ);
            assertThat(p).isGreaterThan(0).isLessThanOrEqualTo(1).isLessThanOrEqualTo(prevP);
            prevZ = z;
            prevP = p;
        }
        assertThat(prevZ).isGreaterThan(37);
        // the normal itself round-trips through log p out to 37 and beyond
        for (double z = -37; z <= 37; z += 0.5) {
            assertThat(Distributions.zFromLogSf(Distributions.logSfNormal(z))).isCloseTo(z, org.assertj.core.data.Offset.offset(1e-9 * Math.max(1, Math.abs(z))));
        }
        assertThat(Math.exp(Distributions.logSfNormal(37))).isGreaterThan(0);
    }

    @Test
    void bonferroniAndBenjaminiHochbergEqualStatsmodels() throws Exception {
        Tsv.Table t = Tsv.read(res("mt_expected.tsv"));
        double[] p = t.numbers("p"), bonf = t.numbers("bonferroni"), bh = t.numbers("fdr_bh");
        double[] b = Corrections.bonferroni(p), q = Corrections.benjaminiHochberg(p);
        for (int i = 0; i < p.length; i++) {
            assertThat(b[i]).as("bonferroni %d", i).isCloseTo(bonf[i], org.assertj.core.data.Offset.offset(1e-15 * Math.max(1e-300, bonf[i])));
            assertThat(GlmFitterTest.rel(q[i], bh[i])).as("bh %d", i).isLessThan(1e-14);
        }
    }

    @Test
    void hrfKernelsMatchNilearnsFormulaAndPeakWhereExpected() throws Exception {
        double[] spm = Npy.readDoubles(res("hrf_spm.npy")), glover = Npy.readDoubles(res("hrf_glover.npy"));
        double[] ks = Hrf.SPM.kernel(1, 50), kg = Hrf.GLOVER.kernel(1, 50);
        assertThat(ks).hasSameSizeAs(spm);
        for (int i = 0; i < ks.length; i++) {
            assertThat(ks[i]).isCloseTo(spm[i], org.assertj.core.data.Offset.offset(1e-14));
            assertThat(kg[i]).isCloseTo(glover[i], org.assertj.core.data.Offset.offset(1e-14));
        }
        double sum = 0;
        for (double v : ks) sum += v;
        assertThat(sum).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-12));
        // SPM's canonical HRF peaks about 5 s after onset and undershoots around 15 s
        int peak = 0, trough = 0;
        for (int i = 0; i < ks.length; i++) {
            if (ks[i] > ks[peak]) peak = i;
            if (ks[i] < ks[trough]) trough = i;
        }
        double dt = 32.0 / (ks.length - 1);
        assertThat(peak * dt).isBetween(4.5, 5.5);
        assertThat(trough * dt).isBetween(14.0, 17.0);
        assertThat(Hrf.NONE.kernel(1, 50)).containsExactly(1.0);
    }

    @Test
    void convolvedRegressorRisesAfterOnsetAndBoxcarIsExact() {
        double[] box = Hrf.NONE.regressor(10, 20, 100, 1);
        for (int t = 0; t < 100; t++) assertThat(box[t]).isEqualTo(t >= 10 && t < 30 ? 1.0 : 0.0);
        double[] r = Hrf.SPM.regressor(10, 20, 100, 1);
        assertThat(r[9]).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-12));
        int peak = 0;
        for (int t = 0; t < 100; t++) if (r[t] > r[peak]) peak = t;
        assertThat(peak).isBetween(18, 34); // rises over ~10 s (the undershoot then lowers the plateau a little)
        assertThat(r[28]).isGreaterThan(0.8).isLessThan(1.2);
        assertThat(r[60]).isLessThan(0.05); // back near baseline 30 s after the block
    }
}
