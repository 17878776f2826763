package org.llmri.scan;

import java.util.Locale;
import org.llmri.LlmriException;
import org.llmri.dataset.RunStatistics;
import org.llmri.dataset.TokenStatistics;
import org.llmri.paradigm.StorageDtype;

/**
 * What a scan will need, estimated before it starts, so a scan that cannot fit is refused in one line at once
 * rather than failing hours in. Disk: every run still to scan writes its activations ([time, unit] at the
 * stored width) and its fused statistics (16 bytes per prompt and unit, plus 8 (3p + 7) bytes per unit of token-level
 * GLM statistics for a design of p columns). Heap: one run at a time holds its
 * statistics and the recorder's rows of one forward step (4 bytes per unit and row), plus a fixed margin for
 * the forward pass's own buffers; the weights are memory-mapped or packed beside the heap and are already loaded.
 *
 * @param diskBytes      bytes the remaining runs will write
 * @param activationBytes of which activations
 * @param heapBytes      the heap one run needs at its peak
 * @param statisticsBytes of which fused statistics (the largest run)
 */
public record ScanBudget(long diskBytes, long activationBytes, long heapBytes, long statisticsBytes) {
    /** Room kept for the forward pass's working buffers and the rest of the process. */
    static final long HEAP_MARGIN = 256L << 20;

    /**
     * A run still to scan: its time points, its prompts, the most rows one forward step records, and the token-level
     * GLM design's columns p (0 when the scan accumulates no token statistics).
     */
    public record RunShape(long timePoints, int prompts, long rowsPerStep, int tokenColumns) {
        public RunShape(long timePoints, int prompts, long rowsPerStep) {
            this(timePoints, prompts, rowsPerStep, 0);
        }
    }

    public static ScanBudget estimate(Iterable<RunShape> runs, long units, StorageDtype store) {
        long activations = 0, stats = 0, disk = 0, heap = 0, maxStats = 0;
        for (RunShape r : runs) {
            long a = r.timePoints() * units * store.bytes();
            long s = RunStatistics.bytes(r.prompts(), units);
            long held = 0; // the token statistics' rows waiting for a lag pair: at most two float32 rows per prompt of a step
            if (r.tokenColumns() > 0) {
                s += TokenStatistics.bytes(r.tokenColumns(), units);
                held = 8 * r.rowsPerStep() * units;
            }
            activations += a;
            disk += a + s + 4096;
            maxStats = Math.max(maxStats, s + held);
            heap = Math.max(heap, s + held + 4 * r.rowsPerStep() * units + HEAP_MARGIN);
        }
        return new ScanBudget(disk, activations, heap, maxStats);
    }

    /**
     * Refuses the scan when it needs more disk than {@code freeDisk} or more heap than {@code freeHeap}, saying
     * what to change.
     */
    public void check(String where, long freeDisk, long freeHeap, StorageDtype store) {
        if (diskBytes > freeDisk) {
            String change = switch (store) {
                case F32 -> "use --store f16 (half) or --store none (statistics only, " + size(diskBytes - activationBytes) + "), or fewer taps";
                case F16 -> "use --store none (statistics only, " + size(diskBytes - activationBytes) + "), or fewer taps";
                case NONE -> "use fewer taps or free disk space";
            };
            throw new LlmriException(String.format(Locale.ROOT, "%s: the scan needs about %s of disk (activations %s as %s, statistics %s),"
                    + " only %s is free; %s", where, size(diskBytes), size(activationBytes), store.label(), size(diskBytes - activationBytes),
                    size(freeDisk), change));
        }
        if (heapBytes > freeHeap) {
            throw new LlmriException(String.format(Locale.ROOT, "%s: a run needs about %s of heap (statistics %s: 16 bytes per prompt and unit),"
                    + " only %s is free; raise the heap (LLMRI_JAVA_OPTS=-Xmx...), use fewer taps, or a smaller generation/read batch",
                    where, size(heapBytes), size(statisticsBytes), size(freeHeap)));
        }
    }

    static String size(double bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", bytes / (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.0f MiB", bytes / (1L << 20));
        return String.format(Locale.ROOT, "%.0f KiB", bytes / 1024);
    }
}
