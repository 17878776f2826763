package org.llmri.report;

import java.nio.file.Path;
import java.util.List;
import org.llmri.network.Activations;
import org.llmri.network.Decoding;
import org.llmri.network.Network;
import org.llmri.network.Overlap;
import org.llmri.network.Repeatability;
import org.llmri.network.RunEvents;
import org.llmri.network.RunKey;
import org.llmri.network.UnitTable;

/**
 * Everything the report shows, as plain data. Optional parts are null ({@code designMatrixPng},
 * {@code overlap}, {@code repeatability}, {@code decoding}) or empty lists; their sections are then
 * left out. Nothing here is read from a clock, so the same model always gives the same report.
 *
 * @param title the report's heading, such as "llmri study: galactica-fmri on facebook/galactica-125m"
 * @param summary study summary as ordered key/value rows (model, checksum, design, settings, seeds, version)
 * @param designMatrixPng a PNG of the design matrix (from the GLM), shown as given; null for none
 * @param units what each unit is
 * @param maps per task: the task &gt; control z map (fixed effects over runs) and the network it gives
 * @param threshold how the networks were thresholded, in words ("FWER 0.05, max-T permutation")
 * @param timeCourses a few units' time courses per run, with the run's blocks
 * @param samples generated text per block
 * @param methods the methods paragraph (see {@link Methods#paragraph})
 */
public record ReportModel(String title, List<Entry> summary, Path designMatrixPng, UnitTable units, List<TaskMap> maps,
        String threshold, Overlap.Result overlap, Repeatability.Result repeatability, Decoding.Result decoding,
        List<TimeCourse> timeCourses, List<Sample> samples, String methods, List<Finding> findings) {

    public ReportModel(String title, List<Entry> summary, Path designMatrixPng, UnitTable units, List<TaskMap> maps,
            String threshold, Overlap.Result overlap, Repeatability.Result repeatability, Decoding.Result decoding,
            List<TimeCourse> timeCourses, List<Sample> samples, String methods) {
        this(title, summary, designMatrixPng, units, maps, threshold, overlap, repeatability, decoding, timeCourses, samples, methods, List.of());
    }

    public ReportModel {
        findings = List.copyOf(findings);
        summary = List.copyOf(summary);
        maps = List.copyOf(maps);
        timeCourses = List.copyOf(timeCourses);
        samples = List.copyOf(samples);
        for (TaskMap m : maps) units.checkLength("z map of task " + m.task(), m.z().length);
    }

    /** One row of the study summary. */
    public record Entry(String key, String value) {}

    /**
     * One of the paper's claims, stated with its test and measured statistic. {@code supported} is null
     * when the claim cannot be tested (e.g. every network is empty).
     */
    public record Finding(String claim, String test, String statistic, Boolean supported, double alpha) {
        public String verdict() {
            return supported == null ? "not testable" : supported ? "supported" : "not supported at \u03b1 = " + Html.num(alpha, 3);
        }
    }

    /** A task's z map and network; {@code stats} (null when unknown) says how it was thresholded. */
    public record TaskMap(String task, double[] z, Network network, MapStats stats) {
        public TaskMap(String task, double[] z, Network network) {
            this(task, z, network, null);
        }

        public TaskMap {
            if (z.length != network.units()) {
                throw new IllegalArgumentException("task " + task + ": z map has " + z.length + " units, network " + network.units());
            }
        }
    }

    /**
     * How a map was tested and thresholded.
     *
     * @param test the test in words ("prompt-level t, task vs control blocked by run")
     * @param correction the correction in words
     * @param criticalT the |t| a unit must reach (NaN when nothing can pass); {@code criticalZ} its z
     * @param dof degrees of freedom of the t
     * @param permutations label permutations (0 without); {@code distinctLabelings} the design's distinct labellings
     * @param minP the smallest corrected p the design can reach
     * @param effect per-unit effect in activation units (task − control mean), or null
     * @param standardized per-unit effect in between-prompt SDs, or null
     * @param corrected per-unit corrected p (or q), or null
     * @param nanUnits units with NaN values; {@code constantUnits} units with no variance over prompts
     * @param detectable the effect (between-prompt SDs) this design detects with 80% power (NaN if unknown)
     */
    public record MapStats(String test, String correction, double criticalT, double criticalZ, double dof, int permutations,
            double distinctLabelings, double minP, double[] effect, double[] standardized, double[] corrected, int nanUnits,
            int constantUnits, double detectable) {}

    /** Time courses of a few units in one run, and the run's blocks for shading. */
    public record TimeCourse(RunKey run, List<Series> series, List<RunEvents.Block> blocks) {
        public TimeCourse {
            series = List.copyOf(series);
            blocks = List.copyOf(blocks);
        }

        /**
         * The {@code n} units of largest z in {@code z} (a task's map), read from one run's activations
         * (only those columns are read), labelled with their tap, index and z.
         */
        public static TimeCourse strongest(RunKey run, Path activations, RunEvents events, double[] z, UnitTable units, int n) {
            units.checkLength("z map of " + run, z.length);
            int[] top = Activations.strongest(z, n);
            double[][] values = Activations.columns(activations, top);
            List<Series> series = new java.util.ArrayList<>();
            for (int i = 0; i < top.length; i++) {
                series.add(new Series(top[i], units.describe(top[i]) + "  (z = " + Html.num(z[top[i]], 1) + ")", values[i]));
            }
            return new TimeCourse(run, series, events.blocks());
        }

        /** A unit's mean over one prompt (events row) of the run. */
        public interface PromptMean {
            double mean(int prompt, int unit);
        }

        /**
         * As {@link #strongest}, from prompt means (the scan's fused statistics) instead of the activations:
         * each time point shows its prompt's mean, a step per prompt; NaN outside every prompt.
         */
        public static TimeCourse strongestPromptMeans(RunKey run, RunEvents events, double[] z, UnitTable units, int n, PromptMean means) {
            units.checkLength("z map of " + run, z.length);
            int time = events.events().stream().mapToInt(RunEvents.Event::end).max().orElse(0);
            int[] top = Activations.strongest(z, n);
            List<Series> series = new java.util.ArrayList<>();
            for (int u : top) {
                double[] v = new double[time];
                java.util.Arrays.fill(v, Double.NaN);
                for (int p = 0; p < events.events().size(); p++) {
                    RunEvents.Event e = events.events().get(p);
                    java.util.Arrays.fill(v, e.onset(), e.end(), means.mean(p, u));
                }
                series.add(new Series(u, units.describe(u) + "  (z = " + Html.num(z[u], 1) + "; prompt means)", v));
            }
            return new TimeCourse(run, series, events.blocks());
        }
    }

    /** One unit's values over time; {@code label} such as "layers.3.fc1[17] (z = 8.1)". */
    public record Series(int unit, String label, double[] values) {}

    /** Text the model generated for one prompt, with where it sits in the study. */
    public record Sample(RunKey run, String block, String trialType, String prompt, String generated) {}
}
