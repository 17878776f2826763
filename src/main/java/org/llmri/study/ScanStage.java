package org.llmri.study;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.dataset.Dataset;
import org.llmri.dataset.ModelPath;
import org.llmri.io.FolderLock;
import org.llmri.model.LoadedModel;
import org.llmri.model.weights.Sha256;
import org.llmri.model.hub.ModelResolver;
import org.llmri.model.hub.ResolvedModel;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.Study;
import org.llmri.scan.ScanListener;
import org.llmri.scan.Scanner;

/**
 * Resolves and loads the study's model and scans (or resumes) into a dataset folder. A model folder given
 * by a relative path is recorded relative to the dataset, so a resume from any directory finds it.
 */
public final class ScanStage {
    private ScanStage() {}

    /** The study as the dataset at {@code target} will record it (its model path relative to the dataset). */
    public static Study recorded(Study study, Path target) {
        return study.withModel(ModelPath.record(study.model(), target));
    }

    /** The study saved in a dataset being resumed, with its model optionally overridden by {@code model}. */
    public static Study saved(Path dir, String model) {
        Path saved = dir.resolve(Dataset.STUDY_FILE);
        if (!Files.isRegularFile(saved)) throw new LlmriException(dir + ": no study.yaml here, so nothing to resume");
        Study study = Study.load(saved);
        return model == null ? study : recorded(study.withModel(model), dir);
    }

    public static Dataset scan(Study study, Path target, boolean resume, ScanListener listener) {
        return scan(study, target, resume, listener, null);
    }

    /** The scan with the model resolved by {@code resolver} (null: the process environment's Hugging Face settings). */
    public static Dataset scan(Study study, Path target, boolean resume, ScanListener listener, ModelResolver resolver) {
        return scan(study, target, resume, listener, resolver, null);
    }

    /** The scan, checking before its first run that {@code after} (the stages that follow it, or null) will fit. */
    public static Dataset scan(Study study, Path target, boolean resume, ScanListener listener, ModelResolver resolver,
                               Scanner.AfterScan after) {
        if (!study.revisions().isEmpty()) {
            throw new LlmriException("study " + study.name() + " names revisions " + study.revisions()
                    + ": a checkpoint study scans each with 'llmri study' (or drop the field and name one revision in model)");
        }
        // take the folder before the model loads, so a second writer is refused at once, by name
        try (FolderLock lock = FolderLock.acquire(target, "scan")) {
            return scanHeld(study, target, resume, listener, lock, resolver == null ? ModelResolver.fromEnvironment() : resolver, after);
        }
    }

    private static Dataset scanHeld(Study study, Path target, boolean resume, ScanListener listener, FolderLock lock, ModelResolver resolver,
                                    Scanner.AfterScan after) {
        Study rec = recorded(study, target);
        Dataset done = resume ? completeScan(rec, target) : null;
        if (done != null) {
            // nothing to scan: the model is neither downloaded nor loaded, so the analysis after it may have all the memory
            if (after != null) {
                long units = org.llmri.io.Tsv.read(done.units()).rows().size();
                Scanner.checkAfterScan(target, after, Scanner.plannedRuns(rec.plan()), units, Runtime.getRuntime().maxMemory());
            }
            return done;
        }
        ResolvedModel resolved = resolver.resolve(ModelPath.resolve(rec.model(), target));
        Path tokFile = resolved.dir().resolve("tokenizer.json");
        if (!Files.isRegularFile(tokFile)) throw new LlmriException(resolved.dir() + ": no tokenizer.json (needed to encode prompts)");
        try (LoadedModel m = LoadedModel.open(resolved.dir()); TextTokenizer tok = TextTokenizer.load(tokFile)) {
            requireFiniteWeights(m);
            String sha = Sha256.ofFiles(m.weights().files());
            Scanner.Subject subject = new Scanner.Subject(rec.model(), resolved.revision(), resolved.commit(), sha);
            return new Scanner(m, tok, subject, listener).withTokenDesign(ScanStage::tokenDesign).withAfterScan(after).scan(rec, target, resume, lock);
        }
    }

    /**
     * The dataset in {@code target} when it is a finished scan of this very study (its saved study.yaml the same, to the
     * model's name, and every planned run complete), else null: the scanner then checks it against the model's weights.
     */
    static Dataset completeScan(Study rec, Path target) {
        Dataset ds = new Dataset(target, Dataset.subjectFor(rec.model()));
        if (!Files.isRegularFile(ds.description()) || !Files.isRegularFile(ds.study())) return null;
        try {
            if (!Study.load(ds.study()).toYaml().equals(rec.toYaml())) return null;
        } catch (LlmriException e) {
            return null;
        }
        return org.llmri.dataset.Runs.status(target).isComplete() ? ds : null;
    }

    /**
     * The design the scanner accumulates the token-level GLM's statistics for: the GLM's default options
     * (a boxcar per trial type over its prompts' time points, and the constant) on the run's events.
     */
    public static org.llmri.dataset.TokenStatistics.Design tokenDesign(List<org.llmri.paradigm.EventRow> events, int timePoints) {
        List<org.llmri.glm.Events.Event> ev = new java.util.ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            org.llmri.paradigm.EventRow e = events.get(i);
            ev.add(new org.llmri.glm.Events.Event(e.onset(), e.duration(), e.trialType(), i + 2));
        }
        Path where = Path.of("events.tsv");
        org.llmri.glm.DesignMatrix d = org.llmri.glm.DesignMatrix.fromEvents(new org.llmri.glm.Events(where, ev), timePoints,
                org.llmri.glm.GlmOptions.defaults().designSpec(), where);
        return new org.llmri.dataset.TokenStatistics.Design(d.values(), d.rows(), d.cols());
    }

    /** Refuses a model whose weights hold NaN or Inf: every activation would be NaN (one pass over the mapped weights). */
    static void requireFiniteWeights(LoadedModel m) {
        float[] buf = new float[1 << 16];
        for (String name : m.weights().names()) {
            var t = m.weights().get(name);
            long n = t.numel();
            for (long i = 0; i < n; i += buf.length) {
                int len = (int) Math.min(buf.length, n - i);
                t.copyToFloat(i, buf, 0, len);
                for (int j = 0; j < len; j++) {
                    if (!Float.isFinite(buf[j])) {
                        throw new LlmriException(m.weights().fileOf(name) + ": weight " + m.weights().storedKey(name) + " holds "
                                + (Float.isNaN(buf[j]) ? "NaN" : "Inf") + " (element " + (i + j) + "); such a model's activations are not numbers");
                    }
                }
            }
        }
    }

    /**
     * Checks every prompt of the plan against the model's context, as the scan does at start-up, when the model is
     * a local folder (a repo id is checked by the scan itself, once it is downloaded); says what it checked.
     */
    public static String checkPrompts(Study study, org.llmri.paradigm.StudyPlan plan, String where) {
        Path dir;
        try {
            dir = Path.of(study.model());
        } catch (java.nio.file.InvalidPathException e) {
            dir = null;
        }
        if (dir == null || !Files.isRegularFile(dir.resolve("config.json")) || !Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            return "note: prompt lengths not checked (model " + study.model() + " is not a local folder; the scan checks them at start)";
        }
        var config = readJson(dir.resolve("config.json"));
        // max_position_embeddings for OPT, BERT, NeoX and Llama; n_positions for GPT-2
        int context = config.path("max_position_embeddings").asInt(config.path("n_positions").asInt(0));
        if (context <= 0) return "note: prompt lengths not checked (" + dir.resolve("config.json") + " names no context length)";
        boolean encoder = "bert".equals(config.path("model_type").asText(""));
        try (TextTokenizer tok = TextTokenizer.load(dir.resolve("tokenizer.json"))) {
            Scanner.prepareAll(study, plan, tok, context, encoder, where);
        }
        return "every prompt fits the model's context of " + context + " positions" + (study.acquisition().reads() ? "" : " with its new tokens");
    }

    private static com.fasterxml.jackson.databind.JsonNode readJson(Path file) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile());
        } catch (java.io.IOException e) {
            throw new LlmriException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }
}
