package org.llmri.network;

import java.nio.file.Path;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.dataset.RunStatistics;
import org.llmri.io.Npy;

/**
 * One run's activations reduced to what decoding needs: the mean of every unit in each task block, over
 * all task time points and over all control time points, and per-unit sums for standardising. Built from
 * the run's per-prompt sums: the scanner's fused statistics, or one pass over stored activations; memory is
 * O(prompts &times; units) whatever the run's length.
 *
 * @param blockMeans one row per task block, in {@link RunEvents#taskBlocks()} order
 * @param sum per-unit sum over every time point of the run
 * @param sumSquares per-unit sum of squares over every time point of the run
 */
public record BlockSummary(RunKey run, int timePoints, List<String> taskBlocks, double[][] blockMeans, double[] onMean,
        double[] offMean, double[] sum, double[] sumSquares) {
    public BlockSummary {
        taskBlocks = List.copyOf(taskBlocks);
    }

    public int units() {
        return onMean.length;
    }

    /**
     * A run from its stored activations ([time, unit] .npy) against its events; {@code units} is the expected
     * column count. One streaming pass computes the run's per-prompt sums ({@link RunStatistics}), the very
     * numbers the scanner fuses while scanning, so both paths give the same summary.
     */
    public static BlockSummary read(RunKey run, Path activations, RunEvents events, int units) {
        try (Npy.Mapped m = Npy.map(activations)) {
            long[] shape = m.shape();
            if (shape.length != 2) throw new LlmriException(activations + ": activations must be 2-D [time, unit], shape is " + java.util.Arrays.toString(shape));
            if (shape[1] != units) throw new LlmriException(activations + ": " + shape[1] + " units, units.tsv lists " + units);
            if (shape[0] < 1 || shape[0] > Integer.MAX_VALUE) throw new LlmriException(activations + ": " + shape[0] + " time points");
            events.timeLabels((int) shape[0]); // events inside the run, none overlapping
        }
        int[] onsets = new int[events.events().size()], durations = new int[onsets.length];
        for (int p = 0; p < onsets.length; p++) {
            onsets[p] = events.events().get(p).onset();
            durations[p] = events.events().get(p).duration();
        }
        return of(run, RunStatistics.fromActivations(activations, onsets, durations), events);
    }

    /** A run's fused statistics (the scanner's, one row per events row) reduced to block and condition means. */
    public static BlockSummary read(RunKey run, Path stats, RunEvents events) {
        int[] durations = new int[events.events().size()];
        for (int p = 0; p < durations.length; p++) durations[p] = events.events().get(p).duration();
        return of(run, RunStatistics.read(stats, durations), events);
    }

    /**
     * Block means, task and control means and per-unit sums from per-prompt sums: each prompt's sums go to its
     * block (task) or to the control pool, in prompt order. Time points outside every prompt are not counted.
     */
    public static BlockSummary of(RunKey run, RunStatistics st, RunEvents events) {
        int units = st.units();
        if (st.prompts() != events.events().size()) {
            throw new LlmriException(events.file() + ": " + events.events().size() + " events, the statistics hold " + st.prompts() + " prompts");
        }
        List<String> blocks = events.taskBlocks();
        int nBlocks = blocks.size();
        if (nBlocks == 0) throw new LlmriException(events.file() + ": no task blocks");
        double[][] blockSum = new double[nBlocks][units];
        int[] blockCount = new int[nBlocks];
        double[] off = new double[units], sum = new double[units], sq = new double[units];
        int offCount = 0, time = 0;
        for (int p = 0; p < st.prompts(); p++) {
            RunEvents.Event e = events.events().get(p);
            double[] target = e.isTask() ? blockSum[blocks.indexOf(e.block())] : off;
            if (e.isTask()) blockCount[blocks.indexOf(e.block())] += st.counts()[p];
            else offCount += st.counts()[p];
            time += st.counts()[p];
            int base = p * units;
            for (int u = 0; u < units; u++) {
                double v = st.sums()[base + u];
                sum[u] += v;
                sq[u] += st.sumSquares()[base + u];
                target[u] += v;
            }
        }
        if (offCount == 0) throw new LlmriException(events.file() + ": no control time points to compare the task blocks with");
        double[] on = new double[units];
        int onCount = 0;
        for (int b = 0; b < nBlocks; b++) {
            for (int u = 0; u < units; u++) on[u] += blockSum[b][u];
            onCount += blockCount[b];
            for (int u = 0; u < units; u++) blockSum[b][u] /= blockCount[b];
        }
        for (int u = 0; u < units; u++) {
            on[u] /= onCount;
            off[u] /= offCount;
        }
        return new BlockSummary(run, time, blocks, blockSum, on, off, sum, sq);
    }
}
