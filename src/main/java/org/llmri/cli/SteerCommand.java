package org.llmri.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.llmri.LlmriException;
import org.llmri.causal.CausalRun;
import org.llmri.causal.Panel;
import org.llmri.causal.StudyData;
import org.llmri.causal.Steer;
import org.llmri.causal.UnitPool;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;

/** {@code llmri steer}: add alpha · (task mean − control mean) to a network's units; dose-response against random sets. */
@Command(name = "steer", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false, versionProvider = Main.Version.class,
        description = "Add alpha x (task mean - control mean) to a task's network at every position and measure the shift toward the task "
                + "(decoders: held-out task text's log-probability and task tokens in generations from neutral prompts; encoders: held-out "
                + "control texts' cosine to the task centroid), against matched random sets steered by the same norm.")
public final class SteerCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--network", required = true, paramLabel = "TASK", description = "The task whose network to steer.")
    String network;

    @Option(names = "--alpha", defaultValue = "0,0.5,1,2,4", split = ",", description = "Steering strengths (0 first: the reference).")
    double[] alphas;

    @Option(names = "--random-sets", defaultValue = "20", description = "Matched random sets.")
    int randomSets;

    @Option(names = "--new-tokens", defaultValue = "24", description = "Tokens generated per neutral prompt (decoders; 0: no generation).")
    int newTokens;

    /** The study folder and the options lesion and steer share; listed after this command's own. */
    @Mixin CausalOptions common;

    @Override
    public Integer call() throws Exception {
        return common.holding("steer", this::locked);
    }

    private Integer locked() throws Exception {
        if (alphas.length == 0 || alphas[0] != 0) throw new LlmriException("--alpha must start with 0 (the unsteered reference)");
        StudyData data = StudyData.open(common.study);
        data.task(network);
        StudyData.Network n = data.network(network, common.correction);
        if (n.ranked().length == 0) throw new LlmriException("network " + network + " is empty at " + n.threshold() + "; nothing to steer");
        Path dir = common.outDir();
        PrintWriter w = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        try (CausalRun run = new CausalRun(data, common.model, common.batch)) {
            UnitPool pool;
            try (ProgressBar bar = Progress.bar("scan statistics", run.scanRuns(), " runs", 1)) {
                pool = run.pool(bar::stepBy);
            }
            Panel panel = run.panel(network);
            Steer.Result r;
            try (ProgressBar bar = Progress.bar("steer " + network, (long) alphas.length * (randomSets + 1), " points", 1)) {
                r = Steer.run(network, panel, pool, n.ranked(), CausalRun.bits(n.ranked()), run.direction(network), panel.index(network),
                        panel.index(CausalRun.CONTROL), panel.decoder() ? run.neutralPrompts() : java.util.List.of(), run.taskTokens(network),
                        run::decode, new Steer.Settings(alphas, randomSets, common.seed, panel.decoder() ? newTokens : 0), bar::stepBy);
            }
            CausalRun.writeSteer(dir, r);
            w.printf("steering network %s (%d units at %s; direction norm %.4g), outcome %s, %d matched random sets:%n", network, n.ranked().length,
                    n.threshold(), r.norm(), r.outcome(), randomSets);
            w.printf("%-6s %12s %12s %22s %8s%s%n", "alpha", "network", "random", "random 5-95%", "p", panel.decoder() ? "   task-token rate net/random" : "");
            for (Steer.Dose d : r.doses()) {
                w.printf("%-6s %12.4f %12.4f %10.4f..%-10.4f %8.4f", LesionCommand.number(d.alpha()), d.network(), d.randomMean(), d.randomLow(),
                        d.randomHigh(), d.p());
                if (panel.decoder()) w.printf("   %.3f / %.3f", d.networkRate(), d.randomRate());
                w.println();
            }
            for (Steer.Example e : r.examples()) w.printf("  alpha %s: %s|%s%n", LesionCommand.number(e.alpha()), e.prompt(), e.text().replace('\n', ' '));
        }
        org.llmri.causal.CausalReport.write(common.study, dir);
        w.printf("wrote %s (%.1f s)%n", dir, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
