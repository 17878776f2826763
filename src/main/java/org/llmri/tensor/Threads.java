package org.llmri.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The worker pool that the kernels split their work over. One per model; the number of threads
 * defaults to the machine's cores (LLMRI_THREADS overrides it).
 */
public final class Threads implements AutoCloseable {
    /** A piece of work over the index range [from, to). */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    private final int parallelism;
    private final ForkJoinPool pool;

    public Threads(int parallelism) {
        this.parallelism = Math.max(1, parallelism);
        this.pool = this.parallelism == 1 ? null : new ForkJoinPool(this.parallelism);
    }

    public static Threads fromEnvironment() {
        String env = System.getenv("LLMRI_THREADS");
        int n = Runtime.getRuntime().availableProcessors();
        if (env != null && !env.isBlank()) {
            try {
                n = Integer.parseInt(env.strip());
            } catch (NumberFormatException e) {
                throw new org.llmri.LlmriException("LLMRI_THREADS: not a number: '" + env + "'");
            }
        }
        return new Threads(n);
    }

    public int parallelism() {
        return parallelism;
    }

    /**
     * Runs {@code body} over [0, n) split into at most {@code parallelism} contiguous chunks whose
     * boundaries are multiples of {@code grain} (so register blocks are never split).
     */
    public void forRange(int n, int grain, Range body) {
        int chunks = Math.min(parallelism, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || pool == null) {
            body.run(0, n);
            return;
        }
        int units = (n + grain - 1) / grain;
        RecursiveAction[] tasks = new RecursiveAction[chunks];
        for (int c = 0; c < chunks; c++) {
            int from = Math.min(n, (int) ((long) units * c / chunks) * grain);
            int to = c == chunks - 1 ? n : Math.min(n, (int) ((long) units * (c + 1) / chunks) * grain);
            tasks[c] = new RecursiveAction() {
                @Override
                protected void compute() {
                    if (from < to) body.run(from, to);
                }
            };
        }
        pool.invoke(new RecursiveAction() {
            @Override
            protected void compute() {
                invokeAll(tasks);
            }
        });
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdown();
    }
}
