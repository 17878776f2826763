package org.llmri.model.bert;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.llmri.model.hub.BuiltInModels;
import org.llmri.tensor.Threads;

/**
 * Reading throughput as a reading-mode scan sees it, beside {@code bench_torch_read.py B T}: batched
 * forward passes over B prompts of T random tokens (ids 1000 .. vocab-1, no special tokens), every tap's
 * values for every token copied out at every pass (as the peer's hooks clone every module output).
 * Prints tokens read per second over all rounds after one untimed warm-up (as the peer counts them),
 * and the fastest pass. Not a test.
 *
 * <pre>java ... org.llmri.model.bert.BertBench [MODEL_DIR|all-minilm-l6-v2] [B] [T] [--threads N] [--rounds R] [--no-record]</pre>
 */
public final class BertBench {
    private BertBench() {}

    /** tokensPerSecond over all timed rounds (as the peer counts); bestSeconds the fastest single pass. */
    public record Result(int batch, int tokens, int threads, long unitsPerToken, double tokensPerSecond, double bestSeconds,
                         double tokensPerCallerCpuSecond) {}

    public static Result run(BertModel model, int batch, int tokens, int rounds, boolean record, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] ids = new int[batch][tokens];
        for (int[] s : ids) for (int i = 0; i < tokens; i++) s[i] = 1000 + rnd.nextInt(model.config().vocabSize() - 1000);
        BertBatch b = BertBatch.of(ids);
        List<BertTap> taps = model.taps();
        long units = taps.stream().mapToLong(BertTap::width).sum();
        // one buffer per tap, filled at every pass: what a recorder keeps
        float[][] kept = new float[taps.size()][];
        for (int t = 0; t < kept.length; t++) kept[t] = new float[b.rows() * taps.get(t).width()];
        java.util.Map<BertTap, Integer> index = new java.util.HashMap<>();
        for (int t = 0; t < taps.size(); t++) index.put(taps.get(t), t);
        BertModel.Hook hook = record ? (tap, values, width, bb) -> {
            float[] dst = kept[index.get(tap)];
            System.arraycopy(values, 0, dst, 0, dst.length);
        } : null;
        model.forward(b, hook); // warm-up: JIT, packed weights in cache
        double best = Double.POSITIVE_INFINITY, total = 0;
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = mx.getCurrentThreadCpuTime();
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            model.forward(b, hook);
            double s = (System.nanoTime() - t0) / 1e9;
            best = Math.min(best, s);
            total += s;
        }
        double cpu = (mx.getCurrentThreadCpuTime() - cpu0) / 1e9;
        return new Result(batch, tokens, model.threads().parallelism(), record ? units : 0,
                (double) batch * tokens * rounds / total, best, (double) batch * tokens * rounds / cpu);
    }

    public static void main(String[] args) {
        String modelArg = BuiltInModels.MINILM;
        int batch = 32, tokens = 24, threads = 1, rounds = 5;
        boolean record = true;
        int positional = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--no-record" -> record = false;
                default -> {
                    switch (positional++) {
                        case 0 -> modelArg = args[i];
                        case 1 -> batch = Integer.parseInt(args[i]);
                        case 2 -> tokens = Integer.parseInt(args[i]);
                        default -> throw new IllegalArgumentException("unexpected argument " + args[i]);
                    }
                }
            }
        }
        Path dir = BuiltInModels.isBuiltIn(modelArg)
                ? BuiltInModels.resolve(modelArg, BuiltInModels.cacheRoot(System.getenv())).dir() : Path.of(modelArg);
        try (LoadedBert m = LoadedBert.open(dir, new Threads(threads))) {
            Result r = run(m.model(), batch, tokens, rounds, record, 0);
            System.out.printf(Locale.ROOT, "batch %d x %d tokens, %d thread(s), %s%n", batch, tokens, threads,
                    record ? "every tap copied out (" + r.unitsPerToken() + " units per token)" : "no recording");
            System.out.printf(Locale.ROOT, "best pass %.1f ms%n", r.bestSeconds() * 1e3);
            System.out.printf(Locale.ROOT, "tokens_per_s %.1f%n", r.tokensPerSecond());
            // with one thread all work runs on the caller: its CPU time is the pass's, whatever else the machine runs
            if (threads == 1) System.out.printf(Locale.ROOT, "tokens_per_cpu_s %.1f%n", r.tokensPerCallerCpuSecond());
        }
    }
}
