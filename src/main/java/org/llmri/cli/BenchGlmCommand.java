package org.llmri.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.llmri.glm.GlmBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Hidden: times OLS + AR(1) on glm_peer.py's synthetic data (writes the .npy first, then removes it). */
@Command(name = "bench-glm", hidden = true, mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Benchmark of the GLM beside shared/tools/glm_peer.py: same design and data shape.")
public final class BenchGlmCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--time", defaultValue = "2000", description = "Time points.")
    int time;

    @Option(names = "--units", defaultValue = "150000", description = "Units.")
    int units;

    @Option(names = "--float32", description = "Write float32 data (as glm_peer.py --float32); default float64.")
    boolean float32;

    @Option(names = "--file", defaultValue = "glm_bench.npy", description = "Where to write the data (removed afterwards).")
    Path file;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() {
        GlmBench.Result r = GlmBench.run(file, time, units, float32,
                threads != null ? threads : Runtime.getRuntime().availableProcessors(), false);
        spec.commandLine().getOut().println(GlmBench.format(r));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
