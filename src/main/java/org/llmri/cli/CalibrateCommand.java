package org.llmri.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.llmri.LlmriException;
import org.llmri.glm.Correction;
import org.llmri.glm.GlmDataset;
import org.llmri.glm.ProgressListener;
import org.llmri.glm.PromptLevel;
import org.llmri.glm.Rates;
import org.llmri.glm.Tail;
import org.llmri.io.Tsv;
import org.llmri.model.LoadedModel;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.Study;
import org.llmri.paradigm.Task;
import org.llmri.scan.ScanListener;
import org.llmri.scan.Scanner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code llmri calibrate}: null versions of the user's own study on the user's own model. Every task's
 * prompts are drawn from the control bank (so no task differs from its control), each null study is
 * scanned with one loaded model, and every correction's prompt-level map is counted: the share of maps
 * with any unit is the empirical family-wise error rate (with its Clopper–Pearson 95% interval); under
 * this complete null a map's false-discovery proportion is 1 when it flags anything, so FDR's mean FDP
 * is the same share.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = "Null versions of a study on its own model (task prompts drawn from the control bank): prints each correction's "
                + "empirical false-positive rate (maps with any unit, with a 95% Clopper-Pearson interval) and FDR's mean false-discovery proportion.")
public final class CalibrateCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin StudyArgs source;

    @Option(names = "--null-studies", defaultValue = "20", description = "Null studies to scan and test.")
    int nullStudies;

    @Option(names = "--out", description = "Work folder (default: calibrate-<study name>); calibration.tsv goes here.")
    Path out;

    @Option(names = "--alpha", defaultValue = "0.05", description = "Level of every correction.")
    double alpha;

    @Option(names = "--permutations", defaultValue = "1000", description = "Max-T permutations per map.")
    int permutations;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the null studies' prompt draws and of the permutations.")
    long seed;

    @Option(names = "--keep", description = "Keep each null study's scan (default: deleted once tested).")
    boolean keep;

    static final List<Correction> CORRECTIONS = List.of(Correction.FWE, Correction.BONFERRONI, Correction.FDR, Correction.NONE);

    @Override
    public Integer call() {
        if (nullStudies < 1) throw new LlmriException("--null-studies must be at least 1");
        Study study = source.study();
        if (study.design().offBlocks() == 0) throw new LlmriException(study.name() + ": the design has no control blocks to draw null tasks from");
        Path dir = out != null ? out : Path.of("calibrate-" + study.name());
        PrintWriter w = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        int[] mapsWithAny = new int[CORRECTIONS.size()];
        long uncorrectedUnits = 0, units = 0;
        int maps = 0;
        List<List<Object>> rows = new ArrayList<>();
        org.llmri.model.hub.ResolvedModel resolved = Models.resolve(study.model());
        try (LoadedModel m = LoadedModel.open(resolved.dir()); TextTokenizer tok = Models.tokenizer(resolved.dir())) {
            String sha = org.llmri.model.weights.Sha256.ofFiles(m.weights().files());
            Scanner scanner = new Scanner(m, tok, new Scanner.Subject(study.model(), resolved.revision(), resolved.commit(), sha),
                    ScanListener.NONE);
            for (int k = 0; k < nullStudies; k++) {
                List<Task> nullTasks = study.tasks().stream().map(t -> new Task(t.id(), t.name() + " (null: control prompts)", study.control())).toList();
                Study nul = study.withTasks(nullTasks).withSeed(study.seed() + 1 + seed * 1_000_003L + k);
                Path scanDir = dir.resolve("null-" + (k + 1));
                System.err.printf("calibrate: null study %d of %d: scanning ...%n", k + 1, nullStudies);
                scanner.scan(nul, scanDir, true);
                for (var task : study.tasks()) {
                    List<Path> data = new ArrayList<>(), events = new ArrayList<>();
                    for (org.llmri.dataset.RunFile r : org.llmri.dataset.Runs.complete(scanDir)) {
                        if (!r.task().equals(task.id())) continue;
                        data.add(r.data());
                        events.add(r.events());
                    }
                    List<PromptLevel.RunMeans> runs = PromptLevel.read(data, events, Runtime.getRuntime().availableProcessors());
                    PromptLevel.MapResult res = PromptLevel.test(List.of(runs), "taskMinusControl",
                            new PromptLevel.Settings(Tail.TWO_SIDED, permutations, seed + k, alpha, Runtime.getRuntime().availableProcessors()),
                            ProgressListener.NONE).get(0);
                    List<Object> row = new ArrayList<>(List.of(k + 1, task.id()));
                    for (int c = 0; c < CORRECTIONS.size(); c++) {
                        int count = res.significance(CORRECTIONS.get(c), alpha, Tail.TWO_SIDED).count();
                        if (count > 0) mapsWithAny[c]++;
                        if (CORRECTIONS.get(c) == Correction.NONE) uncorrectedUnits += count;
                        row.add(count);
                    }
                    units += res.maps().units() - res.constantUnits() - res.nanUnits();
                    maps++;
                    rows.add(row);
                }
                if (!keep) deleteTree(scanDir);
                w.printf("null study %d: FWE %d, Bonferroni %d, FDR %d maps with any unit so far (%d maps)%n", k + 1, mapsWithAny[0],
                        mapsWithAny[1], mapsWithAny[2], maps);
                w.flush();
            }
        }
        Tsv.write(dir.resolve("calibration.tsv"), List.of("null_study", "task", "fwe_units", "bonferroni_units", "fdr_units",
                "uncorrected_units"), rows);
        w.printf("%ncalibration of %s on %s: %d null studies, %d prompt-level maps, alpha %s, %d permutations%n", study.name(), study.model(),
                nullStudies, maps, alpha, permutations);
        String[] names = {"FWE (max-T step-down)", "Bonferroni", "FDR (mean FDP)"};
        for (int c = 0; c < 3; c++) {
            w.printf(Locale.ROOT, "  %-22s maps with any unit: %s%n", names[c], Rates.clopperPearson(mapsWithAny[c], maps, 0.95));
        }
        w.printf(Locale.ROOT, "  %-22s share of units with p < %s: %.4f (expected %s)%n", "uncorrected", alpha,
                uncorrectedUnits / (double) Math.max(1, units), alpha);
        w.printf(Locale.ROOT, "took %.0f s; per-map counts in %s%n", (System.nanoTime() - t0) / 1e9, dir.resolve("calibration.tsv"));
        w.flush();
        return 0;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            throw new LlmriException(dir + ": cannot delete (" + e.getMessage() + ")");
        }
    }
}
