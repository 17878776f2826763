package org.llmri.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.llmri.LlmriException;
import org.llmri.causal.CausalRun;
import org.llmri.causal.DeficitMatrix;
import org.llmri.causal.Lesion;
import org.llmri.causal.Panel;
import org.llmri.causal.StudyData;
import org.llmri.causal.UnitPool;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;

/** {@code llmri lesion}: ablate a task's network while the model reads held-out text, against matched random sets. */
@Command(name = "lesion", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false, versionProvider = Main.Version.class,
        description = "Ablate a task's network (its units at every position) while the model reads held-out text, and compare the deficit "
                + "with random unit sets of the same size matched per tap and control-variance decile. --all lesions every network, "
                + "measures every task's text and marks double dissociations.")
public final class LesionCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--network", paramLabel = "TASK", description = "The task whose network to lesion.")
    String network;

    @Option(names = "--all", description = "Lesion every task's network and measure every bank: the lesion-deficit matrix.")
    boolean all;

    @Option(names = "--mode", defaultValue = "zero", description = "zero, or mean (each unit set to its control-block mean from the scan).")
    String mode;

    @Option(names = "--fractions", defaultValue = "0.1,0.25,0.5,1", split = ",", description = "Fractions of the network, strongest |z| first.")
    double[] fractions;

    @Option(names = "--matrix-fraction", defaultValue = "1", description = "With --all: the fraction of each network lesioned.")
    double matrixFraction;

    @Option(names = "--random-sets", defaultValue = "100", description = "Matched random sets per fraction (or per network with --all).")
    int randomSets;

    @Option(names = "--alpha", defaultValue = "0.05", description = "BH-FDR level for double dissociations (--all).")
    double alpha;

    /** The study folder and the options lesion and steer share; listed after this command's own. */
    @Mixin CausalOptions common;

    @Override
    public Integer call() throws Exception {
        return common.holding("lesion", this::locked);
    }

    private Integer locked() throws Exception {
        if (all == (network != null)) throw new LlmriException("give --network TASK or --all");
        Lesion.Mode m = switch (mode) {
            case "zero" -> Lesion.Mode.ZERO;
            case "mean" -> Lesion.Mode.MEAN;
            default -> throw new LlmriException("--mode must be zero or mean (got " + mode + ")");
        };
        StudyData data = StudyData.open(common.study);
        Map<String, StudyData.Network> nets = new LinkedHashMap<>();
        if (all) {
            for (String t : data.tasks()) {
                StudyData.Network n = data.network(t, common.correction);
                if (n.ranked().length > 0) nets.put(t, n);
                else System.err.println("llmri: network " + t + " is empty at " + n.threshold() + "; left out of the matrix");
            }
            if (nets.isEmpty()) throw new LlmriException("every network is empty; nothing to lesion");
        } else {
            data.task(network);
            StudyData.Network n = data.network(network, common.correction);
            if (n.ranked().length == 0) throw new LlmriException("network " + network + " is empty at " + n.threshold() + "; nothing to lesion");
            nets.put(network, n);
        }
        Path dir = common.outDir();
        PrintWriter w = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        try (CausalRun run = new CausalRun(data, common.model, common.batch)) {
            UnitPool pool;
            try (ProgressBar bar = Progress.bar("scan statistics", run.scanRuns(), " runs", 1)) {
                pool = run.pool(bar::stepBy);
            }
            Panel panel = run.panel(all ? null : network);
            List<String> banks = panel.banks().stream().map(Panel.Bank::name).toList();
            Panel.Score intact = panel.score(null);
            CausalRun.writeBaseline(dir, banks, intact, panel.decoder());
            if (all) {
                long evals = (long) nets.size() * (randomSets + 1);
                Map<String, int[]> ranked = new LinkedHashMap<>();
                for (var e : nets.entrySet()) ranked.put(e.getKey(), e.getValue().ranked());
                DeficitMatrix.Result r;
                try (ProgressBar bar = Progress.bar("lesion --all", evals, " lesions", 1)) {
                    r = DeficitMatrix.run(panel, pool, ranked, matrixFraction, m, randomSets, common.seed, alpha, intact, bar::stepBy);
                }
                CausalRun.writeMatrix(dir, r, mode);
                w.printf("lesion-deficit matrix (%s ablation of each network's top %s; deficit = %s; rows network, columns bank):%n", mode,
                        number(matrixFraction), panel.decoder() ? "Δ mean NLL, nats/token" : "Δ −margin");
                w.printf("%-18s", "");
                for (String b : banks) w.printf(" %12s", b.length() > 12 ? b.substring(0, 12) : b);
                w.println();
                for (String n : r.networks()) {
                    w.printf("%-18s", n + " (" + r.sizes().get(n) + ")");
                    for (DeficitMatrix.Cell c : r.cells()) if (c.network().equals(n)) w.printf(" %12.4f", c.deficit());
                    w.println();
                }
                w.println("double dissociations (BH q <= " + alpha + " both ways):");
                boolean any = false;
                for (DeficitMatrix.Pair p : r.pairs()) {
                    if (p.doubleDissociation()) {
                        any = true;
                        w.printf("  %s x %s: q %.4f / %.4f%n", p.a(), p.b(), p.qA(), p.qB());
                    }
                }
                if (!any) w.println("  none");
            } else {
                StudyData.Network n = nets.get(network);
                long evals = (long) fractions.length * (randomSets + 1);
                Lesion.Result r;
                try (ProgressBar bar = Progress.bar("lesion " + network, evals, " lesions", 1)) {
                    r = Lesion.run(network, panel, pool, n.ranked(), CausalRun.bits(n.ranked()), panel.index(network), panel.index(CausalRun.CONTROL),
                            new Lesion.Settings(m, fractions, randomSets, common.seed), intact, bar::stepBy);
                }
                CausalRun.writeLesion(dir, r, banks, mode, n.threshold());
                w.printf("lesion of network %s (%d units at %s), %s ablation, %d matched random sets:%n", network, n.ranked().length, n.threshold(),
                        mode, randomSets);
                w.printf("%-9s %6s %12s %12s %12s %12s %8s%n", "fraction", "units", "Δtask", "Δcontrol", "specificity", "effect(SD)", "p");
                for (Lesion.Summary s : r.summaries()) {
                    w.printf("%-9s %6d %12.4f %12.4f %12.4f %12.2f %8.4f%n", number(s.fraction()), s.units(), s.deficitTask(), s.deficitControl(),
                            s.specificity(), s.effectSize(), s.p());
                }
            }
        }
        org.llmri.causal.CausalReport.write(common.study, dir);
        w.printf("wrote %s (%.1f s)%n", dir, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** A number as the TSV files write it (shortest form that reads back the same). */
    static String number(double v) {
        return org.llmri.io.Tsv.formatNumber(v);
    }
}
