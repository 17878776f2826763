package org.llmri.glm;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything a GLM run is told besides its inputs. Defaults ({@link #defaults()}): AR(1) noise, no drift
 * (the constant only), no HRF, no nuisance, contrast {@code task - control}, FWE by max-T at 0.05 two-sided
 * with 1000 permutations and seed 0, NIfTI maps written, all cores.
 *
 * @param confounds a TSV of extra regressors, one row per time point (all its columns are used); may be null
 * @param contrasts contrast specifications (see {@link Contrast})
 */
public record GlmOptions(NoiseModel noise, Drift drift, Hrf hrf, List<DesignMatrix.Nuisance> nuisance, Path confounds,
                         double tr, List<String> contrasts, List<Correction> corrections, double alpha, Tail tail,
                         int permutations, long seed, int threads, boolean nifti) {
    public GlmOptions {
        nuisance = List.copyOf(nuisance);
        contrasts = List.copyOf(contrasts);
        corrections = List.copyOf(corrections);
        if (!(alpha > 0 && alpha < 1)) throw new org.llmri.LlmriException("--alpha must lie in (0, 1), got " + alpha);
        if (permutations < 1) throw new org.llmri.LlmriException("--permutations must be at least 1");
        if (threads < 1) throw new org.llmri.LlmriException("--threads must be at least 1");
        if (contrasts.isEmpty()) throw new org.llmri.LlmriException("give at least one --contrast");
    }

    public static GlmOptions defaults() {
        return new GlmOptions(new NoiseModel.Ar1(100), new Drift.None(), Hrf.NONE, List.of(), null, 1,
                List.of("task - control"), List.of(Correction.FWE), 0.05, Tail.TWO_SIDED, 1000, 0,
                Runtime.getRuntime().availableProcessors(), true);
    }

    public GlmOptions withContrasts(List<String> c) {
        return new GlmOptions(noise, drift, hrf, nuisance, confounds, tr, c, corrections, alpha, tail, permutations, seed, threads, nifti);
    }

    public GlmOptions withCorrections(List<Correction> c, double alpha) {
        return new GlmOptions(noise, drift, hrf, nuisance, confounds, tr, contrasts, c, alpha, tail, permutations, seed, threads, nifti);
    }

    public GlmOptions withPermutations(int n, long seed) {
        return new GlmOptions(noise, drift, hrf, nuisance, confounds, tr, contrasts, corrections, alpha, tail, n, seed, threads, nifti);
    }

    public GlmOptions withNoise(NoiseModel n) {
        return new GlmOptions(n, drift, hrf, nuisance, confounds, tr, contrasts, corrections, alpha, tail, permutations, seed, threads, nifti);
    }

    public GlmOptions withThreads(int n) {
        return new GlmOptions(noise, drift, hrf, nuisance, confounds, tr, contrasts, corrections, alpha, tail, permutations, seed, n, nifti);
    }

    public GlmOptions withNifti(boolean b) {
        return new GlmOptions(noise, drift, hrf, nuisance, confounds, tr, contrasts, corrections, alpha, tail, permutations, seed, threads, b);
    }

    /** The design recipe these options describe. */
    public DesignMatrix.Spec designSpec() {
        return new DesignMatrix.Spec(hrf, drift, nuisance, confounds == null ? null : org.llmri.io.Tsv.read(confounds), tr);
    }
}
