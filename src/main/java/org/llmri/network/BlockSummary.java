package org.llmri.network;

import java.nio.file.Path;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.io.Npy;

/**
 * One run's activations reduced to what decoding needs: the mean of every unit in each task block, over
 * all task time points and over all control time points, and per-unit sums for standardising. Built in
 * one pass over the memory-mapped activations, a few rows at a time, so memory is O(blocks &times; units)
 * whatever the run's length.
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

    /** Reads a run's activations ([time, unit] .npy) against its events; {@code units} is the expected column count. */
    public static BlockSummary read(RunKey run, Path activations, RunEvents events, int units) {
        try (Npy.Mapped m = Npy.map(activations)) {
            long[] shape = m.shape();
            if (shape.length != 2) throw new LlmriException(activations + ": activations must be 2-D [time, unit], shape is " + java.util.Arrays.toString(shape));
            if (shape[1] != units) throw new LlmriException(activations + ": " + shape[1] + " units, units.tsv lists " + units);
            if (shape[0] < 1 || shape[0] > Integer.MAX_VALUE) throw new LlmriException(activations + ": " + shape[0] + " time points");
            int time = (int) shape[0];
            int[] label = events.timeLabels(time);
            List<String> blocks = events.taskBlocks();
            int nBlocks = blocks.size();
            if (nBlocks == 0) throw new LlmriException(events.file() + ": no task blocks");
            double[][] blockSum = new double[nBlocks][units];
            int[] blockCount = new int[nBlocks];
            double[] off = new double[units], sum = new double[units], sq = new double[units];
            int offCount = 0;
            int rowsPerChunk = (int) Math.max(1, Math.min(time, (1 << 22) / Math.max(1, units)));
            float[] buf = new float[rowsPerChunk * units];
            for (int t0 = 0; t0 < time; t0 += rowsPerChunk) {
                int rows = Math.min(rowsPerChunk, time - t0);
                m.copyTo((long) t0 * units, buf, 0, rows * units);
                for (int r = 0; r < rows; r++) {
                    int lab = label[t0 + r];
                    double[] target = lab > 0 ? blockSum[lab - 1] : lab == 0 ? off : null;
                    if (lab > 0) blockCount[lab - 1]++;
                    else if (lab == 0) offCount++;
                    int base = r * units;
                    for (int u = 0; u < units; u++) {
                        double v = buf[base + u];
                        sum[u] += v;
                        sq[u] += v * v;
                        if (target != null) target[u] += v;
                    }
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
}
