package org.llmri.causal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.llmri.LlmriException;
import org.llmri.dataset.Dataset;
import org.llmri.dataset.ModelPath;
import org.llmri.dataset.RunFile;
import org.llmri.dataset.Runs;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;
import org.llmri.model.LanguageModel;
import org.llmri.model.Tap;
import org.llmri.paradigm.Study;
import org.llmri.paradigm.Task;

/**
 * What a finished study gives the causal tests: its study file (tasks, control, seed, model), its units (a scan
 * column's model tap and index), each task's network (the GLM's z map and a correction's mask, fixed effects when
 * there are several runs) and each unit's control-block mean and variance and task-block means, from the scan's
 * activations and events.
 */
public final class StudyData {
    public static final String CONTRAST = "taskMinusControl";

    private final Path root, scan, glm;
    private final Study study;

    /** A network: its units ranked by |z| (largest first), and the threshold it was made at, in words. */
    public record Network(String task, int[] ranked, String threshold) {}

    private StudyData(Path root, Path scan, Path glm, Study study) {
        this.root = root;
        this.scan = scan;
        this.glm = glm;
        this.study = study;
    }

    public static StudyData open(Path dir) {
        if (!Files.isDirectory(dir)) throw new LlmriException(dir + ": no such study folder");
        Path scan = dir.resolve("scan");
        if (!Files.isRegularFile(scan.resolve(Dataset.UNITS_FILE))) throw new LlmriException(dir + ": no scan here (scan/units.tsv is missing)");
        var status = Runs.status(scan);
        if (!status.isComplete()) throw Runs.incomplete(scan, status);
        Path glm = dir.resolve("glm");
        if (!Files.isRegularFile(glm.resolve("glm_outputs.json"))) {
            throw new LlmriException(dir + ": the study has no GLM (glm/glm_outputs.json is missing); run llmri study on it first");
        }
        return new StudyData(dir, scan, glm, Study.load(scan.resolve(Dataset.STUDY_FILE)));
    }

    public Study study() {
        return study;
    }

    public Path root() {
        return root;
    }

    /** The model as the scan recorded it, resolved from the scan folder. */
    public String model() {
        return ModelPath.resolve(study.model(), scan);
    }

    public List<String> tasks() {
        return study.tasks().stream().map(Task::id).toList();
    }

    public Task task(String id) {
        for (Task t : study.tasks()) if (t.id().equals(id)) return t;
        throw new LlmriException("unknown task '" + id + "' (the study has: " + String.join(", ", tasks()) + ")");
    }

    /** The network of a task under a correction (fwe, fdr, bonferroni, uncorrected). */
    public Network network(String task, String correction) {
        task(task);
        Path z = null, mask = null;
        String prefix = null;
        try (Stream<Path> subs = Files.list(glm)) {
            for (Path sub : subs.filter(Files::isDirectory).sorted().toList()) {
                String s = sub.getFileName().toString();
                if (!s.startsWith("sub-")) continue;
                List<String> prefixes = new ArrayList<>(List.of(s + "_task-" + task));
                for (int r = 1; r <= 9; r++) prefixes.add(s + "_task-" + task + "_run-" + r);
                for (String p : prefixes) {
                    Path zp = sub.resolve(p + "_contrast-" + CONTRAST + "_stat-z_statmap.npy");
                    if (Files.isRegularFile(zp)) {
                        z = zp;
                        mask = sub.resolve(p + "_contrast-" + CONTRAST + "_stat-z_desc-" + correction + "_mask.npy");
                        prefix = p;
                        break;
                    }
                }
                if (z != null) break;
            }
        } catch (java.io.IOException e) {
            throw new LlmriException(glm + ": cannot list: " + e.getMessage());
        }
        if (z == null) throw new LlmriException(glm + ": no z map for task " + task);
        if (!Files.isRegularFile(mask)) throw new LlmriException(mask + ": no " + correction + " mask (choose --correction among those the GLM wrote)");
        double[] zs = Npy.readDoubles(z), m = Npy.readDoubles(mask);
        List<Integer> units = new ArrayList<>();
        for (int i = 0; i < m.length; i++) if (m[i] != 0 && Double.isFinite(zs[i])) units.add(i);
        units.sort((a, b) -> {
            int c = Double.compare(Math.abs(zs[b]), Math.abs(zs[a]));
            return c != 0 ? c : Integer.compare(a, b);
        });
        String label = switch (correction) {
            case "fwe" -> "FWER";
            case "fdr" -> "FDR";
            case "bonferroni" -> "Bonferroni FWER";
            default -> "uncorrected p";
        };
        return new Network(task, units.stream().mapToInt(Integer::intValue).toArray(), label + " " + alpha(prefix, correction));
    }

    private String alpha(String prefix, String correction) {
        Path summary = glm.resolve("glm_summary.tsv");
        if (!Files.isRegularFile(summary)) return "?";
        Tsv.Table t = Tsv.read(summary);
        String task = prefix.replaceAll("^sub-[^_]+_task-", "").replaceAll("_run-.*$", "");
        for (List<String> row : t.rows()) {
            if (row.get(t.columnIndex("task")).equals(task) && row.get(t.columnIndex("correction")).equals(correction)) {
                return row.get(t.columnIndex("alpha"));
            }
        }
        return "?";
    }

    /** Per scan column: the model's tap and the index within it. Every units.tsv tap must be one of the model's. */
    public record Units(Tap[] tapOf, int[] indexOf) {}

    public Units units(LanguageModel model) {
        Tsv.Table t = Tsv.read(scan.resolve(Dataset.UNITS_FILE));
        Map<String, Tap> byName = new HashMap<>();
        for (Tap tap : model.taps()) byName.put(tap.name(), tap);
        int n = t.rows().size();
        Tap[] tapOf = new Tap[n];
        int[] indexOf = new int[n];
        int ct = t.columnIndex("tap"), ci = t.columnIndex("index");
        for (int i = 0; i < n; i++) {
            List<String> row = t.rows().get(i);
            Tap tap = byName.get(row.get(ct));
            if (tap == null) throw new LlmriException(scan.resolve(Dataset.UNITS_FILE) + ": tap " + row.get(ct) + " is not one of the model's");
            tapOf[i] = tap;
            indexOf[i] = Integer.parseInt(row.get(ci));
        }
        return new Units(tapOf, indexOf);
    }

    /** Per unit: control-block mean and variance over every run's control time points, and each task's task-block mean. */
    public record Moments(double[] controlMean, double[] controlVar, Map<String, double[]> taskMean) {}

    public Moments moments(java.util.function.IntConsumer tick) {
        List<RunFile> runs = Runs.complete(scan);
        int n = Tsv.read(scan.resolve(Dataset.UNITS_FILE)).rows().size();
        double[] cs = new double[n], css = new double[n];
        long cn = 0;
        Map<String, double[]> ts = new LinkedHashMap<>();
        Map<String, Long> tn = new HashMap<>();
        float[] row = new float[n];
        for (RunFile run : runs) {
            Tsv.Table ev = Tsv.read(run.events());
            double[] on = ev.numbers("onset"), dur = ev.numbers("duration");
            List<String> type = ev.column("trial_type");
            double[] tsum = ts.computeIfAbsent(run.task(), k -> new double[n]);
            try (Npy.Mapped m = Npy.map(run.data())) {
                if (m.shape().length != 2 || m.shape()[1] != n) throw new LlmriException(run.data() + ": expected [time, " + n + "] activations");
                for (int e = 0; e < on.length; e++) {
                    boolean control = type.get(e).strip().equals("control");
                    for (long t = (long) on[e]; t < (long) (on[e] + dur[e]); t++) {
                        m.copyTo(t * n, row, 0, n);
                        if (control) {
                            for (int u = 0; u < n; u++) {
                                cs[u] += row[u];
                                css[u] += (double) row[u] * row[u];
                            }
                            cn++;
                        } else {
                            for (int u = 0; u < n; u++) tsum[u] += row[u];
                            tn.merge(run.task(), 1L, Long::sum);
                        }
                    }
                }
            }
            tick.accept(1);
        }
        if (cn < 2) throw new LlmriException(scan + ": fewer than 2 control time points");
        double[] mean = new double[n], var = new double[n];
        for (int u = 0; u < n; u++) {
            mean[u] = cs[u] / cn;
            var[u] = Math.max(0, css[u] / cn - mean[u] * mean[u]);
        }
        for (var e : ts.entrySet()) {
            long k = tn.getOrDefault(e.getKey(), 0L);
            for (int u = 0; u < n; u++) e.getValue()[u] = k == 0 ? Double.NaN : e.getValue()[u] / k;
        }
        return new Moments(mean, var, ts);
    }

    public int runs() {
        return Runs.complete(scan).size();
    }
}
