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
        List<TimeCourse> timeCourses, List<Sample> samples, String methods) {

    public ReportModel {
        summary = List.copyOf(summary);
        maps = List.copyOf(maps);
        timeCourses = List.copyOf(timeCourses);
        samples = List.copyOf(samples);
        for (TaskMap m : maps) units.checkLength("z map of task " + m.task(), m.z().length);
    }

    /** One row of the study summary. */
    public record Entry(String key, String value) {}

    /** A task's z map and network. */
    public record TaskMap(String task, double[] z, Network network) {
        public TaskMap {
            if (z.length != network.units()) {
                throw new IllegalArgumentException("task " + task + ": z map has " + z.length + " units, network " + network.units());
            }
        }
    }

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
    }

    /** One unit's values over time; {@code label} such as "layers.3.fc1[17] (z = 8.1)". */
    public record Series(int unit, String label, double[] values) {}

    /** Text the model generated for one prompt, with where it sits in the study. */
    public record Sample(RunKey run, String block, String trialType, String prompt, String generated) {}
}
