package org.llmri.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.llmri.LlmriException;
import org.llmri.io.FolderLock;
import org.llmri.io.Tsv;

/**
 * Finds a dataset's runs and refuses an incomplete scan. An llmri scan lists its runs in
 * {@code scan_plan.tsv} before it starts; it is complete when each listed run has its sidecar and
 * {@code dataset_description.json} exists. Any other folder in the layout (a BIDS-style dataset from
 * elsewhere) is read as it is: every {@code _activations.npy} with its {@code _events.tsv}.
 */
public final class Runs {
    private Runs() {}

    /** Columns of {@code scan_plan.tsv}. */
    public static final List<String> PLAN_COLUMNS = List.of("subject", "task", "run", "time_points");

    /** How far a scan got: runs complete of runs planned. */
    public record Status(int complete, int planned, boolean described) {
        public boolean isComplete() {
            return described && complete == planned;
        }
    }

    /** Every run of a complete dataset, sorted by subject, task and run; refuses an incomplete or busy scan. */
    public static List<RunFile> complete(Path dir) {
        requireFolder(dir);
        Optional<Long> writer = FolderLock.holder(dir);
        if (writer.isPresent()) {
            throw new LlmriException(dir + ": a scan is writing it now (pid " + writer.get() + "); wait for it to finish");
        }
        Dataset ds = new Dataset(dir, "");
        if (Files.isRegularFile(ds.plan()) || Files.isRegularFile(ds.study())) {
            Status s = status(dir);
            if (!s.isComplete()) throw incomplete(dir, s);
            return planned(dir);
        }
        return byName(dir);
    }

    /** The exception every consumer gives for a scan that did not finish. */
    public static LlmriException incomplete(Path dir, Status s) {
        String count = s.planned() >= 0 ? s.complete() + " of " + s.planned() + " runs" : s.complete() + " runs complete";
        return new LlmriException(dir + ": scan incomplete: " + count + "; finish it with llmri scan --resume " + dir);
    }

    /** How many of the planned runs are complete ({@code planned} is -1 for a scan without a plan file). */
    public static Status status(Path dir) {
        Dataset ds = new Dataset(dir, "");
        boolean described = Files.isRegularFile(ds.description());
        List<RunFile> done = scanned(dir);
        if (!Files.isRegularFile(ds.plan())) return new Status(done.size(), described ? done.size() : -1, described);
        List<String> keys = planKeys(ds.plan());
        int complete = 0;
        for (RunFile r : done) if (keys.contains(key(r))) complete++;
        return new Status(complete, keys.size(), described);
    }

    /** The complete runs that the plan lists (every complete run when there is no plan): leftovers of another study are not read. */
    static List<RunFile> planned(Path dir) {
        Dataset ds = new Dataset(dir, "");
        List<RunFile> done = scanned(dir);
        if (!Files.isRegularFile(ds.plan())) return done;
        List<String> keys = planKeys(ds.plan());
        return done.stream().filter(r -> keys.contains(key(r))).toList();
    }

    private static String key(RunFile r) {
        return r.prefix();
    }

    /** The planned runs as run prefixes ({@code sub-<s>_task-<t>_run-<n>}). */
    private static List<String> planKeys(Path planFile) {
        Tsv.Table plan = Tsv.read(planFile);
        for (String c : PLAN_COLUMNS) {
            if (!plan.hasColumn(c)) throw new LlmriException(planFile + ": no " + c + " column (columns: " + String.join(", ", PLAN_COLUMNS) + ")");
        }
        List<String> subjects = plan.column("subject"), tasks = plan.column("task"), runs = plan.column("run");
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            try {
                keys.add(BidsNames.runPrefix(subjects.get(i), tasks.get(i), Integer.parseInt(runs.get(i))));
            } catch (NumberFormatException e) {
                throw new LlmriException(planFile + ":" + (i + 2) + ": run '" + runs.get(i) + "' is not a number");
            }
        }
        return keys;
    }

    /** The runs of an llmri scan that are complete (sidecar present), whatever the state of the others. */
    public static List<RunFile> scanned(Path dir) {
        List<RunFile> out = new ArrayList<>();
        for (RunFile r : candidates(dir)) {
            Path sidecar = r.data().resolveSibling(r.prefix() + BidsNames.SIDECAR);
            if (Files.isRegularFile(sidecar) && Files.isRegularFile(r.events())) out.add(r);
        }
        return out;
    }

    /** Every run found by name; each must have its events file. */
    public static List<RunFile> byName(Path dir) {
        requireFolder(dir);
        List<RunFile> out = candidates(dir);
        for (RunFile r : out) {
            if (!Files.isRegularFile(r.events())) {
                throw new LlmriException(r.events() + ": no such file (the events of " + r.data().getFileName() + ")");
            }
        }
        if (out.isEmpty()) {
            throw new LlmriException(dir + ": no runs found (expected sub-<s>/func/sub-<s>_task-<t>_run-<n>_activations.npy)");
        }
        return out;
    }

    /**
     * Refuses runs whose activations were not stored ({@code --store none}): what needs every time point
     * (export, the token-level GLM) cannot work from the fused statistics.
     */
    public static void requireActivations(List<RunFile> runs, String what) {
        for (RunFile r : runs) {
            if (!r.hasActivations()) {
                throw new LlmriException(r.data().getParent() + ": the scan stored no activations (--store none), so " + what
                        + " cannot run; rescan with --store f32 or f16");
            }
        }
    }

    private static void requireFolder(Path dir) {
        if (!Files.isDirectory(dir)) throw new LlmriException(dir + ": no such dataset folder");
    }

    private static List<RunFile> candidates(Path dir) {
        List<RunFile> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> subs = Files.list(dir)) {
            for (Path sub : subs.filter(p -> p.getFileName().toString().startsWith("sub-") && Files.isDirectory(p)).sorted().toList()) {
                Path func = sub.resolve("func");
                if (!Files.isDirectory(func)) continue;
                try (Stream<Path> files = Files.list(func)) {
                    for (Path f : files.sorted().toList()) {
                        var name = BidsNames.parseActivations(f.getFileName().toString());
                        if (name.isEmpty()) continue;
                        var n = name.get();
                        String prefix = BidsNames.runPrefix(n.subject(), n.task(), n.run());
                        // a run is named by its activations, its fused statistics, or both (--store none writes no activations)
                        if (out.stream().anyMatch(r -> r.prefix().equals(prefix))) continue;
                        Path ev = func.resolve(prefix + BidsNames.EVENTS);
                        out.add(new RunFile(n.subject(), n.task(), n.run(), func.resolve(prefix + BidsNames.ACTIVATIONS), ev));
                    }
                }
            }
        } catch (IOException e) {
            throw new LlmriException(dir + ": cannot list (" + org.llmri.io.AtomicFile.describe(e) + ")");
        }
        out.sort(Comparator.comparing(RunFile::subject).thenComparing(RunFile::task).thenComparingInt(RunFile::run));
        return out;
    }
}
