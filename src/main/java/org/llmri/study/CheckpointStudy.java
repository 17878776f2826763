package org.llmri.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.llmri.LlmriException;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.InferenceLevel;
import org.llmri.glm.PromptLevelDataset;
import org.llmri.io.FolderLock;
import org.llmri.io.Tsv;
import org.llmri.model.LoadedModel;
import org.llmri.model.hub.ModelRef;
import org.llmri.model.hub.ModelResolver;
import org.llmri.model.hub.ResolvedModel;
import org.llmri.network.Network;
import org.llmri.paradigm.Study;
import org.llmri.probe.TapSet;
import org.llmri.report.CheckpointReport;

/**
 * A checkpoint study: the same study (same plan, same seed) run on several revisions of one Hugging Face
 * repository, such as Pythia's training steps. Each revision is a whole study of its own under
 * {@code OUT/rev-<revision>/} (scan/, glm/, report/, through {@link StudyPipeline}); because the revisions share
 * their units (refused otherwise), each task's network can then be followed across checkpoints:
 * {@code OUT/checkpoints/checkpoints.tsv} and {@code checkpoints.html}.
 *
 * <p>Every revision is resolved, and its unit layout compared with the first's, before anything is scanned, so a
 * missing or differently shaped one is refused at once. The final
 * (last-listed) revision is the reference of the Dice column.
 */
public final class CheckpointStudy {
    public static final String FOLDER = "checkpoints";
    public static final String TABLE = "checkpoints.tsv";
    public static final String PAGE = "checkpoints.html";
    public static final List<String> COLUMNS = List.of("task", "revision", "checkpoint", "commit", "study", "units", "positive",
            "negative", "size", "dice_final", "decoding_run_accuracy", "decoding_block_accuracy");

    private CheckpointStudy() {}

    /**
     * One task at one revision.
     *
     * @param checkpoint   the revision's position in the list, from 0
     * @param study        the revision's study folder, relative to OUT
     * @param diceFinal    Dice of this network with the final revision's network of the same task, counting a unit
     *                     as shared only with the same sign; null when both are empty (0/0)
     * @param decodingRun  the share of this task's held-out runs decoded as this task (correlation method), null when
     *                     the revision's report has no decoding
     * @param decodingBlock the same for held-out task blocks
     */
    public record Row(String task, String revision, int checkpoint, String commit, String study, int units, int positive,
                      int negative, Double diceFinal, Double decodingRun, Double decodingBlock) {
        public int size() {
            return positive + negative;
        }

        List<Object> cells() {
            return List.of(task, revision, checkpoint, commit, study, units, positive, negative, size(), orNa(diceFinal),
                    orNa(decodingRun), orNa(decodingBlock));
        }
    }

    /** What the checkpoint study made: each revision's study folder (in list order), the table and the page. */
    public record Result(List<String> revisions, List<Path> studies, List<Row> rows, Path table, Path page) {}

    /** The repo id the revisions belong to, after the checks that need no network (one line each). */
    public static String repoOf(Study study) {
        if (study.revisions().isEmpty()) throw new LlmriException("study " + study.name() + ": revisions is empty; name at least one revision");
        String model = study.model().strip();
        Path folder = null;
        try {
            folder = Path.of(model);
        } catch (InvalidPathException ignored) {
            // not a path: may be a repo id
        }
        if (folder != null && Files.isDirectory(folder)) {
            throw new LlmriException("study " + study.name() + ": model " + model + " is a local folder; revisions name versions of a"
                    + " Hugging Face repo, so model must be a repo id such as EleutherAI/pythia-160m");
        }
        if (model.contains("@")) {
            throw new LlmriException("study " + study.name() + ": model " + model + " names a revision and the study lists revisions;"
                    + " give the repo id alone (" + model.substring(0, model.indexOf('@')) + ")");
        }
        Optional<ModelRef> ref = ModelRef.parse(model);
        if (ref.isEmpty()) {
            throw new LlmriException("study " + study.name() + ": model " + model + " is not a Hugging Face repo id (org/name), which revisions need");
        }
        for (String rev : study.revisions()) {
            if (ModelRef.parse(model + "@" + rev).isEmpty()) {
                throw new LlmriException("study " + study.name() + ": revision '" + rev + "' is not a valid revision name");
            }
        }
        return ref.get().repoId();
    }

    /** The study folder of one revision, under OUT: {@code rev-<revision>} with any character unsafe in a name made '_'. */
    public static String folderOf(String revision) {
        return "rev-" + revision.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    public static Result run(Study study, Path out, GlmOptions glmOptions, InferenceLevel level, PromptLevelDataset.Family family,
                             StudyAnalysis.Settings settings, StudyPipeline.Listener listener, ModelResolver resolver) {
        String repo = repoOf(study);
        ModelResolver res = resolver == null ? ModelResolver.fromEnvironment() : resolver;
        List<String> revisions = study.revisions();
        Map<String, String> folders = new LinkedHashMap<>();
        for (String rev : revisions) {
            String earlier = folders.put(folderOf(rev), rev);
            if (earlier != null) {
                throw new LlmriException("study " + study.name() + ": revisions '" + earlier + "' and '" + rev + "' would share the folder "
                        + folderOf(rev) + "; rename one (a commit hash always works)");
            }
        }
        // resolve every revision first: a missing one is refused before hours of scanning
        List<ResolvedModel> resolved = new ArrayList<>();
        for (String rev : revisions) {
            try {
                resolved.add(res.resolve(new ModelRef(repo, rev)));
            } catch (LlmriException e) {
                throw new LlmriException("study " + study.name() + ": revision " + rev + " cannot be resolved: " + e.getMessage());
            }
        }
        requireSameUnits(study, revisions, resolved);
        try (FolderLock lock = FolderLock.acquire(out, "checkpoint study")) {
            Study each = study.withRevisions(List.of());
            List<Path> studies = new ArrayList<>();
            List<List<Network>> networks = new ArrayList<>();
            byte[] firstUnits = null;
            for (int i = 0; i < revisions.size(); i++) {
                String rev = revisions.get(i);
                Path dir = out.resolve(folderOf(rev));
                listener.stage("checkpoint " + (i + 1) + "/" + revisions.size() + ": " + repo + "@" + rev + " (commit "
                        + resolved.get(i).commit() + ") -> " + dir);
                StudyAnalysis.Result r = StudyPipeline.run(each.withModel(repo + "@" + rev), dir, glmOptions, level, family, settings,
                        listener, res);
                byte[] units = read(dir.resolve("scan").resolve("units.tsv"));
                if (firstUnits == null) {
                    firstUnits = units;
                } else if (!Arrays.equals(firstUnits, units)) {
                    throw new LlmriException(dir.resolve("scan/units.tsv") + " differs from " + studies.getFirst().resolve("scan/units.tsv")
                            + ": revisions " + revisions.getFirst() + " and " + rev + " have different unit layouts, so their networks cannot be compared");
                }
                studies.add(dir);
                networks.add(r.networks());
            }
            List<Row> rows = rows(study, revisions, resolved, studies, networks, out);
            Path folder = out.resolve(FOLDER);
            Path table = folder.resolve(TABLE);
            Tsv.write(table, COLUMNS, rows.stream().map(Row::cells).toList());
            Path page = page(folder.resolve(PAGE), study, repo, revisions, rows);
            return new Result(revisions, List.copyOf(studies), rows, table, page);
        }
    }

    /**
     * Refuses, before any scan, revisions whose taps give different units (each model is opened, its weights mapped,
     * and closed again); the units.tsv of each scan is compared as well, after it.
     */
    static void requireSameUnits(Study study, List<String> revisions, List<ResolvedModel> resolved) {
        List<List<Object>> first = null;
        for (int i = 0; i < revisions.size(); i++) {
            List<List<Object>> units;
            try (LoadedModel m = LoadedModel.open(resolved.get(i).dir())) {
                units = TapSet.select(m.model(), study.taps()).unitRows();
            }
            if (first == null) {
                first = units;
            } else if (!first.equals(units)) {
                throw new LlmriException("study " + study.name() + ": revisions " + revisions.getFirst() + " (" + first.size() + " units) and "
                        + revisions.get(i) + " (" + units.size() + " units) have different unit layouts (their units.tsv would differ),"
                        + " so their networks cannot be compared");
            }
        }
    }

    private static List<Row> rows(Study study, List<String> revisions, List<ResolvedModel> resolved, List<Path> studies,
                                  List<List<Network>> networks, Path out) {
        List<String> tasks = study.tasks().stream().map(t -> t.id()).toList();
        int last = revisions.size() - 1;
        List<Row> rows = new ArrayList<>();
        for (String task : tasks) {
            Network fin = byTask(networks.get(last), task, studies.get(last));
            for (int i = 0; i < revisions.size(); i++) {
                Network n = byTask(networks.get(i), task, studies.get(i));
                Path tables = studies.get(i).resolve("report").resolve("tables");
                rows.add(new Row(task, revisions.get(i), i, resolved.get(i).commit(), out.relativize(studies.get(i)).toString(), n.units(),
                        n.positiveCount(), n.negativeCount(), signedDice(n, fin), decoding(tables, task, "run"), decoding(tables, task, "block")));
            }
        }
        return rows;
    }

    private static Path page(Path file, Study study, String repo, List<String> revisions, List<Row> rows) {
        List<String> tasks = study.tasks().stream().map(t -> t.id()).toList();
        int r = revisions.size();
        double[][] size = new double[tasks.size()][r], dice = new double[tasks.size()][r], run = new double[tasks.size()][r],
                block = new double[tasks.size()][r];
        for (Row row : rows) {
            int t = tasks.indexOf(row.task()), i = row.checkpoint();
            size[t][i] = row.size();
            dice[t][i] = row.diceFinal() == null ? Double.NaN : row.diceFinal();
            run[t][i] = row.decodingRun() == null ? Double.NaN : row.decodingRun();
            block[t][i] = row.decodingBlock() == null ? Double.NaN : row.decodingBlock();
        }
        String note = repo + " at " + r + " revisions, each scanned with the same plan (seed " + study.seed() + "); each revision's own"
                + " study is in rev-<revision>/report/report.html. Dice is with the final revision (" + revisions.getLast()
                + ") and counts a unit as shared only with the same sign; decoding is the correlation decoder's share of this task's"
                + " held-out runs (and blocks) decoded as this task.";
        return CheckpointReport.write(file, "Checkpoint study " + study.name(), note, revisions, tasks, List.of(
                new CheckpointReport.Panel("network size", "units (positive + negative)", size, false),
                new CheckpointReport.Panel("Dice with the final network", "Dice", dice, true),
                new CheckpointReport.Panel("decoding accuracy, held-out runs", "accuracy", run, true),
                new CheckpointReport.Panel("decoding accuracy, held-out blocks", "accuracy", block, true)),
                COLUMNS, rows.stream().map(Row::cells).toList());
    }

    private static Network byTask(List<Network> networks, String task, Path dir) {
        return networks.stream().filter(n -> n.task().equals(task)).findFirst()
                .orElseThrow(() -> new LlmriException(dir + ": the study found no network for task " + task));
    }

    /** Dice over (unit, sign) pairs: a unit counts as shared only when both networks hold it with the same sign. */
    static Double signedDice(Network a, Network b) {
        if (a.units() != b.units()) throw new LlmriException("networks of " + a.task() + " have " + a.units() + " and " + b.units() + " units");
        int total = a.positiveCount() + a.negativeCount() + b.positiveCount() + b.negativeCount();
        if (total == 0) return null;
        BitSet p = a.positive();
        p.and(b.positive());
        BitSet n = a.negative();
        n.and(b.negative());
        return 2.0 * (p.cardinality() + n.cardinality()) / total;
    }

    /** The share of {@code task}'s held-out items at {@code level} that the correlation decoder got right; null without decoding. */
    static Double decoding(Path tables, String task, String level) {
        Path file = tables.resolve("decoding.tsv");
        if (!Files.isRegularFile(file)) return null;
        Tsv.Table t = Tsv.read(file);
        List<String> levels = t.column("level"), truth = t.column("true_task"), correct = t.column("correct_correlation");
        int n = 0, right = 0;
        for (int i = 0; i < levels.size(); i++) {
            if (!levels.get(i).equals(level) || !truth.get(i).equals(task)) continue;
            n++;
            if (Boolean.parseBoolean(correct.get(i))) right++;
        }
        return n == 0 ? null : (double) right / n;
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static Object orNa(Double v) {
        return v == null ? "n/a" : v;
    }
}
