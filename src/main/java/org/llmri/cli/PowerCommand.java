package org.llmri.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import org.llmri.LlmriException;
import org.llmri.glm.GlmDataset;
import org.llmri.glm.Power;
import org.llmri.io.Tsv;
import org.llmri.paradigm.Condition;
import org.llmri.paradigm.Study;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code llmri power}: the effect a prompt-level study can detect, for its design and for larger ones. */
@Command(name = "power", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = "The effect size (in between-prompt SDs: the SD of prompt means within a condition) that the prompt-level test detects "
                + "with the given power at FWER alpha, for a study's design and for designs with more prompts per block or more runs. "
                + "Give a finished scan (--dataset) or a study (STUDY.yaml or --paradigm). The FWER critical value is the Bonferroni t over "
                + "the units, which max-T matches for independent units (so these numbers are a floor on power).")
public final class PowerCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin StudyArgs source;

    @Option(names = "--dataset", paramLabel = "DIR", description = "A scan dataset: its design and unit count are read from its events and units.tsv.")
    Path dataset;

    @Option(names = "--units", defaultValue = "158208", description = "Units tested (without --dataset); default: galactica-125m with every tap.")
    long units;

    @Option(names = "--alpha", defaultValue = "0.05", description = "Family-wise error rate.")
    double alpha;

    @Option(names = "--power", defaultValue = "0.8", description = "Target power.")
    double power;

    @Option(names = "--effect", defaultValue = "2", description = "An effect (between-prompt SDs) whose power each design also shows.")
    double effect;

    @Override
    public Integer call() {
        if (!(power > 0 && power < 1)) throw new LlmriException("--power must lie in (0, 1)");
        int taskBlocks, controlBlocks, perBlock, runs;
        long n = units;
        String from;
        if (dataset != null) {
            var all = org.llmri.dataset.Runs.complete(dataset);
            var first = all.get(0);
            var runsOfTask = all.stream().filter(r -> r.subject().equals(first.subject()) && r.task().equals(first.task())).toList();
            Tsv.Table ev = Tsv.read(first.events());
            List<String> type = ev.column("trial_type");
            long task = type.stream().filter(t -> t.strip().equals("task")).count(), control = type.stream().filter(t -> t.strip().equals("control")).count();
            List<String> blocks = ev.hasColumn("block") ? ev.column("block") : type;
            long tb = new LinkedHashSet<>(zip(blocks, type, "task")).size(), cb = new LinkedHashSet<>(zip(blocks, type, "control")).size();
            taskBlocks = (int) tb;
            controlBlocks = (int) cb;
            perBlock = (int) Math.max(1, task / Math.max(1, tb));
            if (control != cb * perBlock) perBlock = (int) Math.max(1, task / Math.max(1, tb)); // unequal blocks: task blocks rule
            runs = runsOfTask.size();
            n = Tsv.read(dataset.resolve("units.tsv")).rows().size();
            from = dataset + " (task " + first.task() + ")";
        } else {
            Study study = source.study();
            taskBlocks = (int) study.design().pattern().stream().filter(c -> c == Condition.ON).count();
            controlBlocks = (int) study.design().pattern().stream().filter(c -> c == Condition.OFF).count();
            perBlock = study.design().promptsPerBlock();
            runs = study.runsPerTask();
            from = study.name();
        }
        PrintWriter w = spec.commandLine().getOut();
        Power.Design current = new Power.Design(runs, taskBlocks * perBlock, controlBlocks * perBlock);
        w.printf("design of %s: %s, %,d units, FWER %s%n", from, current.describe(), n, alpha);
        w.printf("detectable at %.0f%% power: d = %.2f between-prompt SDs (power at d = %s: %.1f%%)%n%n", 100 * power,
                Power.detectable(current, n, alpha, power), fmt(effect), 100 * Power.power(current, n, alpha, effect));
        w.printf("%-6s %-16s %-8s %-8s %-5s %-12s %-14s %s%n", "runs", "prompts/block", "task", "control", "df", "critical|t|",
                "d@" + Math.round(100 * power) + "%", "power@d=" + fmt(effect));
        List<Power.Design> designs = new ArrayList<>(Power.alternatives(taskBlocks, controlBlocks, perBlock, runs));
        for (Power.Design d : designs) {
            int pb = d.taskPrompts() / Math.max(1, taskBlocks);
            w.printf("%-6d %-16d %-8d %-8d %-5d %-12.2f %-14.2f %.1f%%%s%n", d.runs(), pb, d.taskPrompts() * d.runs(), d.controlPrompts() * d.runs(),
                    d.dof(), Power.criticalT(d, n, alpha), Power.detectable(d, n, alpha, power), 100 * Power.power(d, n, alpha, effect),
                    d.equals(current) ? "  <- this design" : "");
        }
        w.flush();
        return 0;
    }

    private static List<String> zip(List<String> blocks, List<String> type, String want) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) if (type.get(i).strip().equals(want)) out.add(blocks.get(i).strip());
        return out;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
