package org.llmri.glm;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What a GLM run wrote, for the study pipeline and the report: paths, thresholds, counts. */
public final class GlmOutputs {
    private GlmOutputs() {}

    /**
     * One thresholded map. {@code threshold}: for FWE the tail-signed t a unit must exceed; otherwise the
     * largest surviving uncorrected p (NaN when none survives).
     */
    public record CorrectionOutput(Correction correction, double alpha, Tail tail, double threshold, int significant,
                                   Path mask, Path thresholdedZ, Path adjusted, Path table) {}

    /** One contrast at one level: its maps (keys effect, variance, t or F, z, p → .npy path) and thresholds. */
    public record ContrastOutput(String label, String expression, boolean isF, double dof, Map<String, Path> maps,
                                 List<CorrectionOutput> corrections) {}

    /** One level: a run ({@code run} its number; -1 for a single --data fit) or the fixed effects of a task ({@code run} 0). */
    public record LevelOutput(String prefix, int run, Path design, List<ContrastOutput> contrasts) {
        public boolean isFixedEffects() {
            return run == 0;
        }
    }

    /** One task of one subject: its runs and, with two or more runs, the fixed effects across them. */
    public record TaskOutput(String subject, String task, List<LevelOutput> runs, LevelOutput fixedEffects) {}

    /** A dataset's GLM: every task, and the summary table {@code glm_summary.tsv}. */
    public record DatasetOutput(Path outDir, List<TaskOutput> tasks, Path summary) {}
}
