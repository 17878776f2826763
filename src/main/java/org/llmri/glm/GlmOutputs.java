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
                                   Path mask, Path thresholdedZ, Path adjusted, Path table, double criticalT, double criticalZ) {
        public CorrectionOutput(Correction correction, double alpha, Tail tail, double threshold, int significant,
                                Path mask, Path thresholdedZ, Path adjusted, Path table) {
            this(correction, alpha, tail, threshold, significant, mask, thresholdedZ, adjusted, table,
                    correction == Correction.FWE ? threshold : Double.NaN, Double.NaN);
        }
    }

    /**
     * How a level was tested. {@code level} is "prompt" (prompt means, task vs control blocked by run) or
     * "token" (the time-point GLM: descriptive on language-model data, whose tokens are not independent).
     *
     * @param dof degrees of freedom of the t
     * @param permutations label permutations of the FWE test (0 without)
     * @param distinctLabelings distinct labellings of the prompts within runs
     * @param minP the smallest FWE p the design and permutations can reach
     * @param family "map" (max-T over this map's units) or "tasks" (over every task's map at once)
     */
    public record Inference(String level, double dof, int runs, int prompts, int taskPrompts, int permutations,
                            double distinctLabelings, double minP, int nanUnits, int constantUnits, String family) {}

    /** One contrast at one level: its maps (keys effect, variance, t or F, z, p → .npy path) and thresholds. */
    public record ContrastOutput(String label, String expression, boolean isF, double dof, Map<String, Path> maps,
                                 List<CorrectionOutput> corrections) {}

    /** One level: a run ({@code run} its number; -1 for a single --data fit) or the fixed effects of a task ({@code run} 0). */
    public record LevelOutput(String prefix, int run, Path design, List<ContrastOutput> contrasts, Inference inference) {
        public LevelOutput(String prefix, int run, Path design, List<ContrastOutput> contrasts) {
            this(prefix, run, design, contrasts, null);
        }

        public boolean isFixedEffects() {
            return run == 0;
        }
    }

    /** One task of one subject: its runs and, with two or more runs, the fixed effects across them. */
    public record TaskOutput(String subject, String task, List<LevelOutput> runs, LevelOutput fixedEffects) {}

    /** A dataset's GLM: every task, and the summary table {@code glm_summary.tsv}. */
    public record DatasetOutput(Path outDir, List<TaskOutput> tasks, Path summary) {}
}
