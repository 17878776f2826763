package org.llmri.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.llmri.LlmriException;
import org.llmri.dataset.Dataset;
import org.llmri.dataset.RunFile;
import org.llmri.glm.Correction;
import org.llmri.glm.Events;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.InferenceLevel;
import org.llmri.glm.PromptLevelDataset;
import org.llmri.glm.NoiseModel;

/**
 * Checks, before any work starts, that the permutation tests fit in memory, and warns when they cannot
 * reach the significance level at all. The max-T engine keeps one permuted model per permutation and run
 * (the labels, small Gram matrices and, for AR(1), whitened ones per ρ bin): measured at well under the
 * per-permutation figures used here, so the estimate errs on the safe side.
 */
public final class ResourceGuard {
    private ResourceGuard() {}

    /** Bytes one permutation of one run holds in the max-T engine (an upper estimate). */
    static long bytesPerPermutationRun(NoiseModel noise) {
        return noise instanceof NoiseModel.Ar1 ? 16_384 : 2_048;
    }

    /**
     * @param runsPerTask the most runs one task fits together
     * @param contrasts   t contrasts per fit
     */
    public static void check(GlmOptions opts, int runsPerTask, int contrasts, long heapBytes, Consumer<String> warn) {
        boolean fwe = opts.corrections().contains(Correction.FWE);
        if (fwe) {
            double need = (double) opts.permutations() * Math.max(1, runsPerTask)
                    * (bytesPerPermutationRun(opts.noise()) + 8.0 * Math.max(1, contrasts) * 2);
            if (need > 0.6 * heapBytes) {
                long most = (long) (0.6 * heapBytes / (need / opts.permutations()));
                throw new LlmriException(String.format(Locale.ROOT,
                        "--permutations %d needs about %s of memory for max-T over %d run(s), more than the %s heap allows;"
                                + " use --permutations %d or fewer, or raise the heap (LLMRI_JAVA_OPTS=-Xmx...)",
                        opts.permutations(), gib(need), runsPerTask, gib(heapBytes), Math.max(1, most)));
            }
            double smallest = 1.0 / opts.permutations();
            if (smallest > opts.alpha()) {
                warn.accept(String.format(Locale.ROOT,
                        "warning: with %d permutations the smallest FWE p is %.3g, above alpha %s: no unit can pass;"
                                + " use at least %d permutations", opts.permutations(), smallest, Double.toString(opts.alpha()),
                        (long) Math.ceil(1 / opts.alpha())));
            }
        }
    }

    /** Heap kept for everything the estimate below does not count (the JVM's own, small tables, report). */
    static final long ANALYSIS_MARGIN = 256L << 20;

    /**
     * The heap asked for per byte of live data. The collector needs room beside them (its young generation, and
     * contiguous space for a task's arrays of a gigabyte): the galactica-6.7b study ran out of memory in its
     * overlap null with 7.6 GB live in a 9.1 GB heap (1.2), and the 1.3b study ran with 5.3 GB live in 7.6 GB (1.4).
     */
    static final double GC_HEADROOM = 1.4;

    /**
     * The heap the stages after a study's scan need at their peak, from its planned runs and units. Counted in 8-byte
     * values per unit: the prompt-level GLM holds one task's prompt means at a time (every task's with the FWER
     * family of tasks) twice, as read and centred, with one run's fused statistics being read, and each permutation
     * chunk's task sums; the networks hold every run's z map, the joint overlap null every task's centred prompt
     * means, and decoding every run's block means; then {@link #GC_HEADROOM} times that, for the collector.
     */
    public static long analysisHeap(List<org.llmri.scan.Scanner.PlannedRun> runs, long units, InferenceLevel level,
                                    PromptLevelDataset.Family family, GlmOptions opts, boolean repeated) {
        Map<String, long[]> byTask = byTask(runs);
        long maxPrompts = maxPrompts(runs), blockValues = 0;
        for (var r : runs) blockValues += r.taskBlocks() + 4;
        int K = byTask.size();
        long reading = 28 * units * maxPrompts; // one run's statistics (sum, sum of squares) and its means as read and saved
        long glm = glmLive(runs, units, level, family, opts);
        long maps = 8 * units * (runs.size() + K);
        long overlap = 0;
        if (level == InferenceLevel.PROMPT) {
            for (long[] t : byTask.values()) overlap += 8 * units * (t[1] + t[0]);
            overlap += reading + 8 * units * (1 + maxPrompts) * Math.max(1, Runtime.getRuntime().availableProcessors());
        }
        long decoding = repeated ? 8 * units * blockValues : 0;
        return (long) (GC_HEADROOM * Math.max(glm, maps + Math.max(overlap, decoding))) + ANALYSIS_MARGIN;
    }

    /** The bytes the prompt-level GLM alone holds live at its peak (none for the token-level GLM, which streams). */
    static long glmLive(List<org.llmri.scan.Scanner.PlannedRun> runs, long units, InferenceLevel level, PromptLevelDataset.Family family,
                        GlmOptions opts) {
        Map<String, long[]> byTask = byTask(runs);
        int K = byTask.size();
        long chunks = Math.max(1, Math.min(opts.permutations(), 4L * Math.max(1, opts.threads())));
        long reading = 28 * units * maxPrompts(runs);
        long glm = 0;
        if (level == InferenceLevel.PROMPT) {
            if (family == PromptLevelDataset.Family.TASKS) {
                long values = 0, allRuns = 0;
                for (long[] t : byTask.values()) {
                    values += 2 * t[1] + t[0] + 12;
                    allRuns += t[0];
                }
                glm = 8 * units * (values + chunks * (allRuns + 3L * K) + 4L * K);
            } else {
                for (long[] t : byTask.values()) {
                    glm = Math.max(glm, 8 * units * (2 * t[1] + t[0] + 12 + chunks * (t[0] + 3) + 4));
                }
            }
            glm += reading;
        }
        return glm;
    }

    /** Per task, in first-seen order: {runs, prompts over those runs}. */
    private static Map<String, long[]> byTask(List<org.llmri.scan.Scanner.PlannedRun> runs) {
        Map<String, long[]> byTask = new LinkedHashMap<>();
        for (var r : runs) {
            long[] t = byTask.computeIfAbsent(r.task(), k -> new long[2]);
            t[0]++;
            t[1] += r.prompts();
        }
        return byTask;
    }

    private static long maxPrompts(List<org.llmri.scan.Scanner.PlannedRun> runs) {
        return runs.stream().mapToLong(org.llmri.scan.Scanner.PlannedRun::prompts).max().orElse(0);
    }

    /**
     * Refuses, in one line, a prompt-level {@code glm --dataset} whose fit cannot hold in {@code heap} bytes (the study
     * checks this and the stages after it before its scan; this is the check for the GLM run on its own).
     */
    public static void checkGlmHeap(Path dataset, List<RunFile> runs, InferenceLevel level, PromptLevelDataset.Family family,
                                    GlmOptions opts, long heap) {
        if (level != InferenceLevel.PROMPT || runs.isEmpty()) return;
        Path unitsFile = dataset.resolve(Dataset.UNITS_FILE);
        if (!Files.isRegularFile(unitsFile)) return; // the GLM names the missing file
        long units;
        try (var lines = Files.lines(unitsFile)) {
            units = Math.max(0, lines.count() - 1);
        } catch (IOException | java.io.UncheckedIOException e) {
            return;
        }
        List<org.llmri.scan.Scanner.PlannedRun> planned = new ArrayList<>();
        for (RunFile r : runs) {
            List<Events.Event> ev = Events.read(r.events()).events();
            int blocks = 0;
            for (int i = 0; i < ev.size(); i++) {
                boolean task = "task".equals(ev.get(i).trialType());
                if (task && (i == 0 || !"task".equals(ev.get(i - 1).trialType()))) blocks++;
            }
            planned.add(new org.llmri.scan.Scanner.PlannedRun(r.task(), ev.size(), blocks));
        }
        long need = (long) (GC_HEADROOM * glmLive(planned, units, level, family, opts)) + ANALYSIS_MARGIN;
        if (need > heap) {
            throw new LlmriException(String.format(Locale.ROOT, "%s: the prompt-level GLM needs about %s of heap for %,d units over %d runs,"
                    + " the heap holds %s; raise it (LLMRI_JAVA_OPTS=-Xmx%dg) or analyse fewer units", dataset, gib(need), units, runs.size(),
                    gib(heap), (need + (1L << 30) - 1 >> 30) + 1));
        }
    }

    /** The study's stages after the scan, as the scan checks them before its first run. */
    public static org.llmri.scan.Scanner.AfterScan afterScan(InferenceLevel level, PromptLevelDataset.Family family, GlmOptions opts,
                                                             boolean repeated) {
        return new org.llmri.scan.Scanner.AfterScan() {
            @Override
            public long heapBytes(List<org.llmri.scan.Scanner.PlannedRun> runs, long units) {
                return analysisHeap(runs, units, level, family, opts, repeated);
            }

            @Override
            public String what() {
                return "the GLM and networks";
            }
        };
    }

    /**
     * Seconds of max-T work per permutation, unit and time point on this project's 2-core machine: the paper's
     * study (12 runs × 640 time points × 158,208 units, 1000 permutations) spent about 150 s in the GLM and
     * networks. A rough scale, so the warning rounds generously.
     */
    static final double SECONDS_PER_PERMUTATION_UNIT_TIME_POINT = 1.2e-10;

    /** Warns when the permutations will take more than an hour (a rough, machine-dependent estimate). */
    public static void warnIfLong(GlmOptions opts, long units, long timePoints, Consumer<String> warn) {
        if (!opts.corrections().contains(Correction.FWE)) return;
        double seconds = SECONDS_PER_PERMUTATION_UNIT_TIME_POINT * opts.permutations() * (double) units * timePoints
                * 2 / Math.max(1, opts.threads());
        if (seconds > 3600) {
            warn.accept(String.format(Locale.ROOT, "warning: %d permutations of %d units over %d time points will take roughly %.0f h"
                    + " here; fewer --permutations shorten it in proportion", opts.permutations(), units, timePoints, seconds / 3600));
        }
    }

    static String gib(double bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", bytes / (1L << 30))
                : String.format(Locale.ROOT, "%.0f MiB", bytes / (1L << 20));
    }
}
