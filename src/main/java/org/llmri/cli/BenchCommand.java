package org.llmri.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.llmri.LlmriException;
import org.llmri.model.LoadedModel;
import org.llmri.model.run.Generator;
import org.llmri.model.run.Reader;
import org.llmri.model.run.Sampling;
import org.llmri.probe.Recorder;
import org.llmri.probe.TapSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code llmri bench}: generation throughput as a scan sees it, the same measurement as
 * shared/tools/bench_torch.py (random prompts, greedy, KV cache, every module's output copied out).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Measure generation throughput: prints 'tokens_per_s X' (generated tokens across the batch per second). --record all copies every tap's values at the generating position each step, as a scan does.")
public final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model folder or Hugging Face repo id[@revision].")
    String model;

    @Option(names = "--batch", defaultValue = "1", description = "Prompts generated together.")
    int batch;

    @Option(names = "--prompt-tokens", defaultValue = "24", description = "Tokens per (random) prompt.")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "32", description = "New tokens per prompt.")
    int newTokens;

    @Option(names = "--record", defaultValue = "all", description = "Taps to copy out each step: all, none, or a tap preset/list.")
    String record;

    @Option(names = "--repeats", defaultValue = "3", description = "Timed repetitions (the best is reported); one untimed warm-up runs first.")
    int repeats;

    @Option(names = "--read", description = "Reading mode instead: each prompt read in one forward pass, every token's taps "
            + "recorded; tokens_per_s counts prompt tokens read (--new-tokens is ignored).")
    boolean read;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random prompt ids.")
    long seed;

    @Override
    public Integer call() {
        if (batch < 1 || promptTokens < 1 || newTokens < 1 || repeats < 1) {
            throw new LlmriException("--batch, --prompt-tokens, --new-tokens and --repeats must be >= 1");
        }
        try (LoadedModel m = Models.open(model)) {
            SplittableRandom rng = new SplittableRandom(seed);
            List<Generator.Prompt> prompts = new ArrayList<>();
            int vocab = m.model().vocabSize();
            for (int b = 0; b < batch; b++) {
                int[] ids = new int[promptTokens];
                for (int i = 0; i < promptTokens; i++) ids[i] = 4 + rng.nextInt(vocab - 4);
                prompts.add(new Generator.Prompt(ids, b));
            }
            // like the peer's forward hooks (one clone per module output), the recorder copies every tap's
            // values at the generating position into its buffer, from which a scan writes them to disk
            Recorder recorder = record.equals("none") ? null : new Recorder(TapSet.select(m.model(), record), m.model().threads());
            if (read) {
                benchRead(m, prompts, recorder);
                return 0;
            }
            Generator gen = new Generator(m.model());
            var settings = new Generator.Settings(newTokens, Sampling.GREEDY, true, false, 0);
            var out = spec.commandLine().getOut();
            gen.generate(prompts, new Generator.Settings(Math.min(4, newTokens), Sampling.GREEDY, true, false, 0), recorder, null);
            double best = Double.MAX_VALUE;
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                gen.generate(prompts, settings, recorder, null);
                double dt = (System.nanoTime() - t0) / 1e9;
                best = Math.min(best, dt);
                out.printf("run %d: %.3f s, %.1f tokens/s%n", r + 1, dt, batch * newTokens / dt);
            }
            out.printf("batch %d prompt %d new %d threads %d record %s units %d%n", batch, promptTokens, newTokens,
                    m.model().threads().parallelism(), record, recorder == null ? 0 : recorder.units());
            out.printf("tokens_per_s %.1f%n", batch * newTokens / best);
        }
        return 0;
    }

    /** Reading-mode throughput: the whole batch read as one ragged step, as a scan reads a batch. */
    private void benchRead(LoadedModel m, List<Generator.Prompt> prompts, Recorder recorder) {
        List<int[]> ids = prompts.stream().map(Generator.Prompt::ids).toList();
        Reader reader = new Reader(m.model());
        var out = spec.commandLine().getOut();
        reader.read(ids, 0, recorder, null);
        double best = Double.MAX_VALUE;
        var cpuClock = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = cpuClock.getCurrentThreadCpuTime();
        for (int r = 0; r < repeats; r++) {
            long t0 = System.nanoTime();
            reader.read(ids, 0, recorder, null);
            double dt = (System.nanoTime() - t0) / 1e9;
            best = Math.min(best, dt);
            out.printf("run %d: %.3f s, %.1f tokens/s%n", r + 1, dt, batch * promptTokens / dt);
        }
        out.printf("read batch %d prompt %d threads %d record %s units %d%n", batch, promptTokens,
                m.model().threads().parallelism(), record, recorder == null ? 0 : recorder.units());
        out.printf("tokens_per_s %.1f%n", batch * promptTokens / best);
        // on one thread all work runs on this thread: its CPU time is the passes', whatever else the machine runs
        if (m.model().threads().parallelism() == 1) {
            double cpu = (cpuClock.getCurrentThreadCpuTime() - cpu0) / 1e9;
            out.printf("tokens_per_cpu_s %.1f%n", (double) batch * promptTokens * repeats / cpu);
        }
    }
}
