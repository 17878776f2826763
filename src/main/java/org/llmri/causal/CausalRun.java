package org.llmri.causal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;
import org.llmri.LlmriException;
import org.llmri.io.Tsv;
import org.llmri.model.LanguageModel;
import org.llmri.model.LoadedModel;
import org.llmri.model.hub.ModelResolver;
import org.llmri.model.hub.ResolvedModel;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.PromptBank;
import org.llmri.paradigm.PromptSource;
import org.llmri.paradigm.Task;

/**
 * One study opened for causal tests: the model loaded once, the held-out banks tokenized, the unit pool with the
 * scan's control statistics. Lesion and steer runs reuse it; results are written as TSV under {@code out}.
 */
public final class CausalRun implements AutoCloseable {
    public static final String CONTROL = "control";

    private final StudyData data;
    private final LoadedModel loaded;
    private final TextTokenizer tok;
    private final Outcomes outcomes;
    private final Map<String, List<int[]>> banks = new LinkedHashMap<>();
    private UnitPool pool;
    private StudyData.Moments moments;

    public CausalRun(StudyData data, String modelOverride, int batch) {
        this.data = data;
        ResolvedModel resolved = ModelResolver.fromEnvironment().resolve(modelOverride != null ? modelOverride : data.model());
        Path tokFile = resolved.dir().resolve("tokenizer.json");
        if (!Files.isRegularFile(tokFile)) throw new LlmriException(resolved.dir() + ": no tokenizer.json");
        this.loaded = LoadedModel.open(resolved.dir());
        this.tok = TextTokenizer.load(tokFile);
        this.outcomes = new Outcomes(loaded.model(), batch);
        for (Task t : data.study().tasks()) banks.put(t.id(), encode(HeldOut.task(t, data.study().seed())));
        banks.put(CONTROL, encode(HeldOut.control(data.study().control())));
    }

    public LanguageModel model() {
        return loaded.model();
    }

    public StudyData data() {
        return data;
    }

    private List<int[]> encode(List<String> texts) {
        boolean encoder = !loaded.model().canGenerate();
        List<int[]> out = new ArrayList<>();
        for (String s : texts) {
            int[] ids = tok.encodeMarked(s, encoder).ids();
            if (ids.length > loaded.model().maxPositions()) ids = java.util.Arrays.copyOf(ids, loaded.model().maxPositions());
            if (ids.length >= 2) out.add(ids);
        }
        return out;
    }

    /** The scan's per-unit statistics (one pass over the activations), loaded once. */
    public UnitPool pool(IntConsumer tick) {
        if (pool == null) {
            StudyData.Units u = data.units(loaded.model());
            moments = data.moments(tick);
            pool = new UnitPool(u.tapOf(), u.indexOf(), moments.controlMean(), moments.controlVar());
        }
        return pool;
    }

    public int scanRuns() {
        return data.runs();
    }

    /** Decoders: the task's and control banks; encoders: every bank (task identification needs every centroid). */
    public Panel panel(String task) {
        List<Panel.Bank> b = new ArrayList<>();
        if (task != null && loaded.model().canGenerate()) {
            b.add(new Panel.Bank(task, banks.get(task)));
            b.add(new Panel.Bank(CONTROL, banks.get(CONTROL)));
        } else {
            for (var e : banks.entrySet()) b.add(new Panel.Bank(e.getKey(), e.getValue()));
        }
        return new Panel(outcomes, b);
    }

    /** A task's network, refused when empty. */
    public StudyData.Network network(String task, String correction) {
        StudyData.Network n = data.network(task, correction);
        if (n.ranked().length == 0) throw new LlmriException("network " + task + " is empty at " + n.threshold() + "; nothing to lesion");
        return n;
    }

    public static BitSet bits(int[] units) {
        BitSet b = new BitSet();
        for (int u : units) b.set(u);
        return b;
    }

    /** The steering direction per tap: task-block mean − control-block mean of every unit. */
    public Map<org.llmri.model.Tap, float[]> direction(String task) {
        double[] tm = moments.taskMean().get(task);
        if (tm == null) throw new LlmriException("task " + task + " has no runs in the scan");
        double[] d = new double[tm.length];
        for (int i = 0; i < d.length; i++) d[i] = tm[i] - moments.controlMean()[i];
        return pool.perTap(d);
    }

    /** Neutral generation prompts: the first six words of the first four held-out control passages. */
    public List<int[]> neutralPrompts() {
        List<int[]> out = new ArrayList<>();
        List<String> texts = HeldOut.control(data.study().control());
        for (int i = 0; i < Math.min(4, texts.size()); i++) {
            String[] w = texts.get(i).split(" ");
            out.add(tok.encode(String.join(" ", java.util.Arrays.copyOf(w, Math.min(6, w.length)))));
        }
        return out;
    }

    /** Tokens of the task's scan bank that the control scan bank never uses. */
    public Set<Integer> taskTokens(String task) {
        Task t = data.task(task);
        List<int[]> taskIds = new ArrayList<>(), controlIds = new ArrayList<>();
        if (t.source() instanceof PromptSource.BuiltinBank b) for (var p : PromptBank.builtin(b.name(), "t").prompts()) taskIds.add(tok.encode(p.text()));
        else for (int[] ids : banks.get(task)) taskIds.add(ids);
        if (data.study().control() instanceof PromptSource.BuiltinBank b) for (var p : PromptBank.builtin(b.name(), "c").prompts()) controlIds.add(tok.encode(p.text()));
        return TaskTokens.of(taskIds, controlIds);
    }

    public String decode(int[] ids) {
        return tok.decode(ids);
    }

    // ---- writers ----

    /**
     * Runs {@code body} holding the study folder (and {@code out}, where it lies outside the study): a causal run
     * splices its section into the study's report.html, so no study or other causal run may write there meanwhile.
     * {@code out} null: the study's causal/.
     */
    public static <T> T holdingStudy(Path study, Path out, String what, java.util.concurrent.Callable<T> body) throws Exception {
        if (!java.nio.file.Files.isDirectory(study)) throw new org.llmri.LlmriException(study + ": no such study folder");
        Path dir = out != null ? out : study.resolve("causal");
        boolean inside = dir.toAbsolutePath().normalize().startsWith(study.toAbsolutePath().normalize());
        try (org.llmri.io.FolderLock held = org.llmri.io.FolderLock.acquire(study, what);
             org.llmri.io.FolderLock heldOut = inside ? null : org.llmri.io.FolderLock.acquire(dir, what)) {
            return body.call();
        }
    }

    public static void writeLesion(Path out, Lesion.Result r, List<String> banks, String mode, String threshold) {
        List<List<Object>> rows = new ArrayList<>();
        for (Lesion.Summary s : r.summaries()) {
            rows.add(List.of(r.task(), mode, s.fraction(), s.units(), s.deficitTask(), s.deficitControl(), s.effect(), s.randomMean(), s.randomSd(),
                    s.randomLow(), s.randomHigh(), s.specificity(), s.effectSize(), s.p(), s.randomSets(), threshold));
        }
        Tsv.write(out.resolve("lesion_" + r.task() + "_" + mode + ".tsv"), List.of("network", "mode", "fraction", "units", "deficit_task",
                "deficit_control", "effect", "random_mean", "random_sd", "random_p05", "random_p95", "specificity", "effect_size_sd", "p_value",
                "random_sets", "threshold"), rows);
        List<String> header = new ArrayList<>(List.of("fraction", "units", "set"));
        for (String b : banks) header.add("deficit_" + b);
        List<List<Object>> sets = new ArrayList<>();
        for (Lesion.SetResult s : r.sets()) {
            List<Object> row = new ArrayList<>(List.of(s.fraction(), s.units(), s.set() == 0 ? "network" : "random-" + s.set()));
            for (double d : s.deficit()) row.add(d);
            sets.add(row);
        }
        Tsv.write(out.resolve("lesion_" + r.task() + "_" + mode + "_sets.tsv"), header, sets);
    }

    public static void writeBaseline(Path out, List<String> banks, Panel.Score s, boolean decoder) {
        List<List<Object>> rows = new ArrayList<>();
        for (int i = 0; i < banks.size(); i++) rows.add(List.of(banks.get(i), decoder ? "nll" : "neg_margin", s.loss()[i], s.accuracy()[i]));
        Tsv.write(out.resolve("baseline.tsv"), List.of("bank", "loss_kind", "loss", "accuracy"), rows);
    }

    public static void writeMatrix(Path out, DeficitMatrix.Result r, String mode) {
        List<List<Object>> rows = new ArrayList<>();
        for (DeficitMatrix.Cell c : r.cells()) {
            rows.add(List.of(c.network(), c.bank(), r.sizes().get(c.network()), c.deficit(), c.randomMean(), c.specificity(), c.p()));
        }
        Tsv.write(out.resolve("lesion_matrix_" + mode + ".tsv"), List.of("network", "bank", "units", "deficit", "random_mean",
                "specificity_vs_control", "p_value"), rows);
        List<List<Object>> pairs = new ArrayList<>();
        for (DeficitMatrix.Pair p : r.pairs()) {
            pairs.add(List.of(p.a(), p.b(), p.specificityA(), p.pA(), p.qA(), p.specificityB(), p.pB(), p.qB(), p.doubleDissociation()));
        }
        Tsv.write(out.resolve("dissociations_" + mode + ".tsv"), List.of("task_a", "task_b", "specificity_a", "p_a", "q_a", "specificity_b", "p_b",
                "q_b", "double_dissociation"), pairs);
    }

    public static void writeSteer(Path out, Steer.Result r) {
        List<List<Object>> rows = new ArrayList<>();
        for (Steer.Dose d : r.doses()) {
            rows.add(List.of(r.task(), r.outcome(), d.alpha(), d.network(), d.randomMean(), d.randomLow(), d.randomHigh(), d.p(), d.networkRate(),
                    d.randomRate(), r.norm()));
        }
        Tsv.write(out.resolve("steer_" + r.task() + ".tsv"), List.of("network", "outcome", "alpha", "shift_network", "shift_random_mean",
                "shift_random_p05", "shift_random_p95", "p_value", "task_token_rate_network", "task_token_rate_random", "direction_norm"), rows);
        List<List<Object>> sets = new ArrayList<>();
        for (Steer.Point p : r.points()) {
            sets.add(List.of(p.alpha(), p.set() == 0 ? "network" : "random-" + p.set(), p.outcome(), p.shift(), p.controlShift(), p.taskTokenRate()));
        }
        Tsv.write(out.resolve("steer_" + r.task() + "_sets.tsv"), List.of("alpha", "set", "outcome", "shift", "control_shift", "task_token_rate"), sets);
        List<List<Object>> ex = new ArrayList<>();
        for (Steer.Example e : r.examples()) ex.add(List.of(e.alpha(), e.prompt(), e.text().replace('\t', ' ').replace('\n', ' ')));
        Tsv.write(out.resolve("steer_" + r.task() + "_examples.tsv"), List.of("alpha", "prompt", "generated"), ex);
    }

    @Override
    public void close() {
        tok.close();
        loaded.close();
    }
}
