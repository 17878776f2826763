package org.llmri.scan;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llmri.LlmriException;
import org.llmri.dataset.Dataset;
import org.llmri.dataset.RunStatistics;
import org.llmri.dataset.TokenStatistics;
import org.llmri.dataset.Runs;
import org.llmri.io.AtomicFile;
import org.llmri.io.FolderLock;
import org.llmri.io.Npy;
import org.llmri.io.NpyWriter;
import org.llmri.io.Tsv;
import org.llmri.model.LoadedModel;
import org.llmri.model.run.Generator;
import org.llmri.model.run.Reader;
import org.llmri.model.run.Sampling;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.Acquisition;
import org.llmri.paradigm.ContextMode;
import org.llmri.paradigm.EventRow;
import org.llmri.paradigm.Generation;
import org.llmri.paradigm.PromptSlot;
import org.llmri.paradigm.RunPlan;
import org.llmri.paradigm.StorageDtype;
import org.llmri.paradigm.Study;
import org.llmri.paradigm.StudyPlan;
import org.llmri.probe.Recorder;
import org.llmri.probe.TapSet;

/**
 * Runs a study's paradigm through a model and writes the dataset. In generate mode each run's prompts are
 * generated as one batch; each generated token is one time point, holding every chosen tap's values at
 * the position that produced it. In read mode each prompt is read in one forward pass and each of its
 * tokens (special tokens left out unless kept) is one time point, so events follow the token counts. A run's files appear only when it is complete (the sidecar JSON last), so a scan
 * killed at any moment resumes by redoing just the unfinished run, and the finished dataset is
 * byte-identical to an uninterrupted scan. dataset_description.json is written last of all.
 */
public final class Scanner {
    public static final String VERSION = "llmri " + versionOf();

    /** The model as the dataset records it. */
    public record Subject(String argument, String revision, String commit, String weightsSha256) {}

    private final LoadedModel model;
    private Generator generator;
    private Reader reader;
    private final TextTokenizer tokenizer;
    private final Subject subject;
    private final ScanListener listener;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private java.util.function.BiFunction<List<EventRow>, Integer, TokenStatistics.Design> tokenDesign;

    public Scanner(LoadedModel model, TextTokenizer tokenizer, Subject subject, ScanListener listener) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.subject = subject;
        this.listener = listener == null ? ScanListener.NONE : listener;
    }

    /** Scans the study into {@code out}; with {@code resume}, keeps the runs already complete there. */
    public Dataset scan(Study study, Path out, boolean resume) {
        study.validate();
        try (FolderLock lock = FolderLock.acquire(out, "scan")) {
            return scan(study, out, resume, lock);
        }
    }

    /** As {@link #scan(Study, Path, boolean)} for a caller that already holds {@code out}. */
    public Dataset scan(Study study, Path out, boolean resume, FolderLock held) {
        if (!held.holds(out)) throw new IllegalArgumentException("the lock given does not hold " + out);
        study.validate();
        Dataset ds = new Dataset(out, Dataset.subjectFor(study.model()));
        if (!resume && Files.exists(ds.description())) {
            throw new LlmriException(out + ": already holds a finished scan (dataset_description.json); choose another --out");
        }
        StudyPlan plan = study.plan();
        if (!study.acquisition().reads() && !model.model().canGenerate()) {
            throw new LlmriException(model.model().architecture() + " cannot generate (an encoder): set acquisition: read in the study");
        }
        TapSet taps = TapSet.select(model.model(), study.taps());
        String studyYaml = study.toYaml();
        if (resume && Files.exists(ds.study())) {
            // the model may be named another way (another path to the same folder): the weights' checksum decides
            Study before = Study.load(ds.study());
            if (!before.withModel(study.model()).toYaml().equals(studyYaml)) {
                throw new LlmriException(ds.study() + ": differs from the study being resumed");
            }
        } else {
            AtomicFile.writeString(ds.study(), studyYaml);
        }
        Tsv.writeIfChanged(ds.units(), TapSet.UNIT_COLUMNS, taps.unitRows());
        Map<RunPlan, RunInput> inputs = prepareAll(study, plan, tokenizer, model.model().maxPositions(), !model.model().canGenerate(),
                ds.study().toString());
        long total = 0;
        List<List<Object>> planned = new ArrayList<>();
        for (RunPlan run : plan.runs()) {
            total += inputs.get(run).timePoints();
            planned.add(List.of(ds.subject(), run.taskId(), run.run(), inputs.get(run).timePoints()));
        }
        Tsv.writeIfChanged(ds.plan(), Runs.PLAN_COLUMNS, planned);
        long done = 0;
        List<RunPlan> todo = new ArrayList<>();
        for (RunPlan run : plan.runs()) {
            if (resume && isComplete(ds, run, inputs.get(run), taps.units(), study.storageDtype())) {
                checkSameModel(ds, run);
                done += inputs.get(run).timePoints();
            } else {
                todo.add(run);
            }
        }
        budget(study, todo, inputs, taps.units(), tokenDesign).check(out.toString(), diskFree(out), heapFree(), study.storageDtype());
        checkMachine(out, model.weights().storedBytes(), budget(study, todo, inputs, taps.units(), tokenDesign).heapBytes());
        if (afterScan != null) checkAfterScan(out, afterScan, plannedRuns(plan), taps.units(), heapLimit >= 0 ? heapLimit : Runtime.getRuntime().maxMemory());
        listener.started(total, done);
        for (RunPlan run : plan.runs()) {
            if (!todo.contains(run)) {
                listener.run(run.label(), true);
                continue;
            }
            listener.run(run.label(), false);
            scanRun(study, ds, run, inputs.get(run), taps);
        }
        writeDescription(ds, study);
        return ds;
    }

    /** Overrides the free disk and heap the scan is checked against (tests); negative: measure them. */
    /**
     * Also accumulates each run's token-level GLM statistics ({@link TokenStatistics}) for the design that
     * {@code design} builds from the run's events and time points (the GLM's defaults: the scanner does not
     * build designs itself), so that {@code --inference token} works without stored activations.
     */
    public Scanner withTokenDesign(java.util.function.BiFunction<List<EventRow>, Integer, TokenStatistics.Design> design) {
        this.tokenDesign = design;
        return this;
    }

    /**
     * What runs after the scan in the same process (a study's GLM and networks) will need of the heap, from the
     * runs the scan plans and the units it records: checked with the scan's own budget, so a study whose
     * analysis cannot fit is refused before the first run rather than after hours of scanning.
     */
    public interface AfterScan {
        /** Heap bytes the later stages need at their peak. */
        long heapBytes(List<PlannedRun> runs, long units);

        /** What those stages are, for the refusal. */
        String what();
    }

    /** A run of the plan as the analysis after the scan sees it: its task, prompts and task blocks. */
    public record PlannedRun(String task, int prompts, int taskBlocks) {}

    public Scanner withAfterScan(AfterScan after) {
        this.afterScan = after;
        return this;
    }

    private AfterScan afterScan;

    /** The plan's runs as the analysis after the scan sees them (task blocks do not depend on the runs' lengths). */
    public static List<PlannedRun> plannedRuns(StudyPlan plan) {
        List<PlannedRun> runs = new ArrayList<>();
        for (RunPlan run : plan.runs()) {
            List<EventRow> events = run.events();
            long blocks = events.stream().filter(e -> e.trialType().equals("task")).mapToInt(EventRow::block).distinct().count();
            runs.add(new PlannedRun(run.taskId(), events.size(), (int) blocks));
        }
        return runs;
    }

    /** Refuses, in one line, when what runs after the scan needs more than {@code heap} bytes. */
    public static void checkAfterScan(Path out, AfterScan after, List<PlannedRun> runs, long units, long heap) {
        long need = after.heapBytes(runs, units);
        if (need > heap) {
            throw new LlmriException(String.format(java.util.Locale.ROOT, "%s: %s after the scan need about %s of heap for %,d units"
                    + " over %d runs, the heap holds %s; raise it (LLMRI_JAVA_OPTS=-Xmx%dg) or use fewer taps", out, after.what(),
                    ScanBudget.size(need), units, runs.size(), ScanBudget.size(heap), (need + (1L << 30) - 1 >> 30) + 1));
        }
    }

    /** Memory kept for the JVM beside its heap (classes, code, thread stacks, GC tables), and for the system. */
    static final long JVM_OVERHEAD = 512L << 20, SYSTEM_RESERVE = 1L << 30;

    /**
     * Refuses when the model's packed weights (off the heap) and a heap that may grow to its maximum cannot both fit
     * the machine's memory: the JVM's collector grows the heap towards -Xmx during a long scan, and the system would
     * kill the process hours in. The scan itself needs only {@code scanHeap}.
     */
    private void checkMachine(Path out, long weights, long scanHeap) {
        long ram = physicalMemory >= 0 ? physicalMemory : physicalMemory();
        long heap = maxHeap >= 0 ? maxHeap : Runtime.getRuntime().maxMemory();
        if (ram <= 0 || (double) weights + heap + JVM_OVERHEAD <= ram - SYSTEM_RESERVE) return;
        long scanXmx = Math.max(2, (scanHeap + (1L << 30) - 1 >> 30) + 2);
        throw new LlmriException(String.format(java.util.Locale.ROOT, "%s: the model's packed weights (%s) beside a heap that may grow to %s"
                + " do not fit this machine's %s of memory; scan with a smaller heap (LLMRI_JAVA_OPTS=-Xmx%dg, the scan needs about %s),"
                + " then run the study with the larger one: a study whose scan is complete does not load the model",
                out, ScanBudget.size(weights), ScanBudget.size(heap), ScanBudget.size(ram), scanXmx, ScanBudget.size(scanHeap)));
    }

    private static long physicalMemory() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1; // unknown: not checked
    }

    private long physicalMemory = -1, maxHeap = -1;

    /** Overrides the machine's physical memory and the heap's maximum the scan is checked against (tests). */
    public Scanner withMachine(long physicalMemory, long maxHeap) {
        this.physicalMemory = physicalMemory;
        this.maxHeap = maxHeap;
        return this;
    }

    public Scanner withLimits(long freeDisk, long freeHeap) {
        this.diskLimit = freeDisk;
        this.heapLimit = freeHeap;
        return this;
    }

    private long diskLimit = -1, heapLimit = -1;

    /** What the runs still to scan need: disk for their files, heap for one run's statistics and one step's rows. */
    static ScanBudget budget(Study study, List<RunPlan> todo, Map<RunPlan, RunInput> inputs, long units,
                             java.util.function.BiFunction<List<EventRow>, Integer, TokenStatistics.Design> tokenDesign) {
        List<ScanBudget.RunShape> shapes = new ArrayList<>();
        for (RunPlan run : todo) {
            RunInput in = inputs.get(run);
            int prompts = in.promptIds().size();
            long rows;
            if (study.acquisition().reads()) {
                int batch = study.acquisition().batchSize() == 0 ? prompts : study.acquisition().batchSize();
                rows = 0;
                for (int from = 0; from < prompts; from += batch) {
                    long r = 0;
                    for (int i = from; i < Math.min(prompts, from + batch); i++) r += in.promptIds().get(i).length;
                    rows = Math.max(rows, r);
                }
            } else {
                int batch = study.generation().batchSize();
                rows = batch <= 0 ? prompts : Math.min(batch, prompts);
            }
            int p = tokenDesign == null ? 0 : tokenDesign.apply(run.events(in.durations()), in.timePoints()).cols();
            shapes.add(new ScanBudget.RunShape(in.timePoints(), prompts, rows, p));
        }
        return ScanBudget.estimate(shapes, units, study.storageDtype());
    }

    private long diskFree(Path out) {
        if (diskLimit >= 0) return diskLimit;
        try {
            return Files.getFileStore(out).getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE; // unknown: the writes themselves will say
        }
    }

    private long heapFree() {
        if (heapLimit >= 0) return heapLimit;
        Runtime rt = Runtime.getRuntime();
        System.gc(); // once, before the scan: garbage must not count as used
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /**
     * A run's prompts as token ids and the time points each gives: in generate mode its new tokens, in
     * read mode its tokens ({@code keep[i][t]}: token t of prompt i is a time point).
     */
    public record RunInput(List<int[]> promptIds, List<boolean[]> keep, int[] durations, int timePoints) {}

    /**
     * Tokenizes every prompt of every run before the first is scanned, and checks that each fits the model's
     * context (with its new tokens when generating; with a continuous context, the whole run must fit), so a
     * bad prompt stops the scan at start-up, named by file, task and prompt id, not when its run is reached.
     * {@code encoder}: the model only reads, with the special tokens its post-processor adds ([CLS] ... [SEP]).
     */
    public static Map<RunPlan, RunInput> prepareAll(Study study, StudyPlan plan, TextTokenizer tokenizer, int context, boolean encoder,
                                                    String where) {
        Map<RunPlan, RunInput> out = new LinkedHashMap<>();
        for (RunPlan run : plan.runs()) out.put(run, prepare(study, run, tokenizer, context, encoder, where));
        return out;
    }

    private static RunInput prepare(Study study, RunPlan run, TextTokenizer tokenizer, int context, boolean encoder, String where) {
        Acquisition a = study.acquisition();
        List<int[]> ids = new ArrayList<>();
        List<boolean[]> keep = new ArrayList<>();
        int[] durations = new int[run.prompts().size()];
        long timePoints = 0;
        long continuous = 0;
        int newTokens = a.reads() ? 0 : run.newTokensPerPrompt();
        for (PromptSlot s : run.prompts()) {
            String at = where + ": task " + run.taskId() + ", prompt " + s.promptId();
            int[] tokens;
            if (a.reads()) {
                // decoders read a prompt as generation feeds it (as is, no BOS: Galactica's convention);
                // encoders read it with the special tokens their post-processor adds ([CLS] ... [SEP])
                TextTokenizer.Tokens t = tokenizer.encodeMarked(s.text(), encoder);
                tokens = t.ids();
                boolean[] k = new boolean[tokens.length];
                int n = 0;
                for (int i = 0; i < k.length; i++) {
                    k[i] = a.keepSpecialTokens() || !t.special()[i];
                    if (k[i]) n++;
                }
                if (n == 0) throw new LlmriException(at + ": no tokens to read once special tokens are left out: '" + s.text() + "'");
                keep.add(k);
                durations[s.index()] = n;
            } else {
                tokens = tokenizer.encode(s.text());
                durations[s.index()] = run.newTokensPerPrompt();
            }
            if (tokens.length == 0) throw new LlmriException(at + ": encodes to no tokens");
            long need = (long) tokens.length + newTokens;
            continuous += need;
            if (need > context) {
                throw new LlmriException(at + ": " + tokens.length + " prompt tokens" + (a.reads() ? "" : " + " + newTokens + " new tokens")
                        + " exceed the model's context of " + context + " positions; shorten the prompt"
                        + (a.reads() ? "" : " or lower max_new_tokens"));
            }
            ids.add(tokens);
            timePoints += durations[s.index()];
        }
        if (!a.reads() && study.context() == ContextMode.CONTINUOUS && continuous > context) {
            throw new LlmriException(where + ": task " + run.taskId() + ", run " + run.run() + ": a continuous context needs "
                    + continuous + " positions, more than the model's " + context + "; use context: fresh or fewer prompts per run");
        }
        if (timePoints > Integer.MAX_VALUE) throw new LlmriException(run.label() + ": " + timePoints + " time points is too many for one run");
        return new RunInput(ids, keep, durations, (int) timePoints);
    }

    /**
     * A run is complete when its sidecar (written last) and events are there, with its activations when the
     * study stores them and its fused statistics (a run from before the statistics existed is kept without them:
     * the analysis then computes them from its activations).
     */
    private boolean isComplete(Dataset ds, RunPlan run, RunInput input, int units, StorageDtype store) {
        Path npy = ds.activations(run.taskId(), run.run());
        Path stats = ds.promptStats(run.taskId(), run.run());
        if (!Files.isRegularFile(ds.sidecar(run.taskId(), run.run())) || !Files.isRegularFile(ds.events(run.taskId(), run.run()))) {
            return false;
        }
        if (Files.isRegularFile(stats) && RunStatistics.unitsOf(stats, input.durations().length) != units) return false;
        if (!store.stores()) return Files.isRegularFile(stats);
        if (!Files.isRegularFile(npy)) return false;
        Npy.Header h = Npy.readHeader(npy);
        return h.shape().length == 2 && h.shape()[0] == input.timePoints() && h.shape()[1] == units;
    }

    private void checkSameModel(Dataset ds, RunPlan run) {
        Path sidecar = ds.sidecar(run.taskId(), run.run());
        try {
            var node = json.readTree(sidecar.toFile());
            String sha = node.path("Model").path("WeightsSHA256").asText("");
            if (!sha.equals(subject.weightsSha256())) {
                throw new LlmriException(sidecar + ": was scanned with other weights (sha256 " + sha + "); resume with the same model");
            }
        } catch (IOException e) {
            throw new LlmriException(sidecar + ": unreadable sidecar (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    private void scanRun(Study study, Dataset ds, RunPlan run, RunInput input, TapSet taps) {
        List<EventRow> events = run.events(input.durations());
        if (study.acquisition().reads()) {
            readRun(study, ds, run, input, events, taps);
            return;
        }
        Generation g = study.generation();
        int perPrompt = run.newTokensPerPrompt();
        List<PromptSlot> slots = run.prompts();
        List<int[]> promptIds = input.promptIds();
        FiniteCheck finite = new FiniteCheck(taps, slots, run);

        Sampling sampling = g.strategy() == Generation.Strategy.GREEDY ? Sampling.GREEDY
                : new Sampling(false, (float) g.temperature(), g.topK(), (float) g.topP());
        // a fixed number of time points per prompt: generation never stops early (EOS suppressed or not)
        Generator.Settings settings = new Generator.Settings(perPrompt, sampling, g.suppressEos(), false, g.batchSize());
        Recorder recorder = new Recorder(taps, model.model().threads());
        RunStatistics.Accumulator stats = accumulator(study, input, taps);
        TokenStatistics tokenStats = tokenStatistics(study, input, events, taps);
        List<int[]> generated;
        try (NpyWriter writer = writer(study, ds, run, input, taps)) {
            Generator.StepObserver toDisk = (step, chosen) -> {
                for (int o = 0; o < step.outputs(); o++) {
                    int prompt = step.outputSequence()[o];
                    long t = (long) prompt * perPrompt + step.outputTokenIndex()[o];
                    finite.check(recorder.buffer(), recorder.offsetOf(o), prompt, step.outputTokenIndex()[o]);
                    if (writer != null) writer.writeRowAt(t, recorder.buffer(), recorder.offsetOf(o));
                    stats.add(prompt, recorder.buffer(), recorder.offsetOf(o));
                    if (tokenStats != null) tokenStats.add((int) t, recorder.buffer(), recorder.offsetOf(o));
                }
                listener.recorded(step.outputs());
            };
            if (generator == null) generator = new Generator(model.model()); // one KV cache for every run
            Generator gen = generator;
            if (study.context() == ContextMode.CONTINUOUS) {
                generated = continuous(gen, promptIds, settings, study.seed(), run, recorder, toDisk);
            } else {
                List<Generator.Prompt> prompts = new ArrayList<>();
                for (int i = 0; i < promptIds.size(); i++) prompts.add(new Generator.Prompt(promptIds.get(i), promptSeed(study.seed(), run, i)));
                generated = gen.generate(prompts, settings, recorder, toDisk);
            }
            if (writer != null) writer.finish();
        }
        stats.finish(run.label()).write(ds.promptStats(run.taskId(), run.run()));
        if (tokenStats != null) tokenStats.write(ds.tokenStats(run.taskId(), run.run()), ds.tokenDesign(run.taskId(), run.run()));
        finishRun(study, ds, run, input, events, taps, generated);
    }

    /**
     * Reading mode: each prompt in one forward pass, a batch of prompts a step; the row of token t of
     * prompt i goes to its time point (the prompt's onset plus the kept tokens before t).
     */
    private void readRun(Study study, Dataset ds, RunPlan run, RunInput input, List<EventRow> events, TapSet taps) {
        List<int[]> promptIds = input.promptIds();
        FiniteCheck finite = new FiniteCheck(taps, run.prompts(), run);
        int[][] timeOf = new int[promptIds.size()][];
        for (int i = 0; i < timeOf.length; i++) {
            boolean[] keep = input.keep().get(i);
            timeOf[i] = new int[keep.length];
            int t = events.get(i).onset();
            for (int j = 0; j < keep.length; j++) timeOf[i][j] = keep[j] ? t++ : -1;
        }
        // the recorder holds every row of a batch: one Java array, so rows x units must stay below 2^31
        int batch = study.acquisition().batchSize() == 0 ? promptIds.size() : study.acquisition().batchSize();
        for (int from = 0; from < promptIds.size(); from += batch) {
            long rows = 0;
            for (int i = from; i < Math.min(promptIds.size(), from + batch); i++) rows += promptIds.get(i).length;
            if (rows * taps.units() > Integer.MAX_VALUE - 8) {
                throw new LlmriException(run.label() + ": a batch of " + rows + " tokens x " + taps.units()
                        + " units is too large to record at once; lower read.batch_size (now " + study.acquisition().batchSize() + ")");
            }
        }
        Recorder recorder = new Recorder(taps, model.model().threads());
        RunStatistics.Accumulator stats = accumulator(study, input, taps);
        TokenStatistics tokenStats = tokenStatistics(study, input, events, taps);
        try (NpyWriter writer = writer(study, ds, run, input, taps)) {
            Reader.StepObserver toDisk = step -> {
                int written = 0;
                for (int o = 0; o < step.outputs(); o++) {
                    int prompt = step.outputSequence()[o];
                    int t = timeOf[prompt][step.outputTokenIndex()[o]];
                    if (t < 0) continue;
                    finite.check(recorder.buffer(), recorder.offsetOf(o), prompt, step.outputTokenIndex()[o]);
                    if (writer != null) writer.writeRowAt(t, recorder.buffer(), recorder.offsetOf(o));
                    stats.add(prompt, recorder.buffer(), recorder.offsetOf(o));
                    if (tokenStats != null) tokenStats.add(t, recorder.buffer(), recorder.offsetOf(o));
                    written++;
                }
                listener.recorded(written);
            };
            if (reader == null) reader = new Reader(model.model()); // one KV cache for every run
            reader.read(promptIds, study.acquisition().batchSize(), recorder, toDisk);
            if (writer != null) writer.finish();
        }
        stats.finish(run.label()).write(ds.promptStats(run.taskId(), run.run()));
        if (tokenStats != null) tokenStats.write(ds.tokenStats(run.taskId(), run.run()), ds.tokenDesign(run.taskId(), run.run()));
        finishRun(study, ds, run, input, events, taps, null);
    }

    /** The run's activations file, or null when the study stores none. */
    private static NpyWriter writer(Study study, Dataset ds, RunPlan run, RunInput input, TapSet taps) {
        if (!study.storageDtype().stores()) return null;
        Npy.Dtype dtype = study.storageDtype() == StorageDtype.F16 ? Npy.Dtype.F16 : Npy.Dtype.F32;
        return NpyWriter.create(ds.activations(run.taskId(), run.run()), dtype, input.timePoints(), taps.units());
    }

    /** The run's fused statistics, over the values as stored (f16-rounded when the study stores f16). */
    private static RunStatistics.Accumulator accumulator(Study study, RunInput input, TapSet taps) {
        return new RunStatistics.Accumulator(input.durations(), taps.units(), study.storageDtype() == StorageDtype.F16);
    }

    /** The run's token-level GLM statistics (null without a design function), over the values as stored. */
    private TokenStatistics tokenStatistics(Study study, RunInput input, List<EventRow> events, TapSet taps) {
        if (tokenDesign == null) return null;
        return new TokenStatistics(tokenDesign.apply(events, input.timePoints()), taps.units(), study.storageDtype() == StorageDtype.F16);
    }

    /** The events appear with the run, not before it; the sidecar, written last, marks the run complete. */
    private void finishRun(Study study, Dataset ds, RunPlan run, RunInput input, List<EventRow> events, TapSet taps, List<int[]> generated) {
        Tsv.write(ds.events(run.taskId(), run.run()), EventRow.COLUMNS, events.stream().map(EventRow::values).toList());
        writeSidecar(study, ds, run, input, events, taps, generated);
    }

    /** One context for the whole run: each prompt is appended to everything before it, answers included. */
    private List<int[]> continuous(Generator gen, List<int[]> promptIds, Generator.Settings settings, long seed, RunPlan run,
                                   Recorder recorder, Generator.StepObserver toDisk) {
        List<int[]> generated = new ArrayList<>();
        int[] context = new int[0];
        for (int i = 0; i < promptIds.size(); i++) {
            int[] ids = concat(context, promptIds.get(i));
            final int index = i;
            // the generator numbers this single prompt 0; the time axis needs its place in the run
            Generator.StepObserver shifted = (step, chosen) -> {
                int[] seq = step.outputSequence().clone();
                java.util.Arrays.fill(seq, index);
                toDisk.afterStep(new org.llmri.model.Step(step.slots(), step.tokens(), step.positions(), step.outputRows(), seq,
                        step.outputTokenIndex()), chosen);
            };
            int[] answer = gen.generate(List.of(new Generator.Prompt(ids, promptSeed(seed, run, i))), settings, recorder, shifted).get(0);
            generated.add(answer);
            context = concat(ids, answer);
        }
        return generated;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Each prompt's own sampling stream, fixed by the study seed, the run and the prompt's place. */
    static long promptSeed(long studySeed, RunPlan run, int index) {
        long h = studySeed * 0x9E3779B97F4A7C15L;
        for (char c : run.taskId().toCharArray()) h = (h ^ c) * 0xBF58476D1CE4E5B9L;
        h = (h ^ run.run()) * 0x94D049BB133111EBL;
        h = (h ^ index) * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 31);
    }

    /** The run's sidecar; {@code generated} is null in reading mode. */
    private void writeSidecar(Study study, Dataset ds, RunPlan run, RunInput input, List<EventRow> events, TapSet taps,
                              List<int[]> generated) {
        List<PromptSlot> slots = run.prompts();
        List<int[]> promptIds = input.promptIds();
        boolean reads = study.acquisition().reads();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("TaskName", run.taskName());
        m.put("RepetitionTime", 1);
        m.put("RepetitionTimeUnit", reads ? "token: one time point per prompt token read" : "token: one time point per generated token");
        m.put("NumberOfTimePoints", input.timePoints());
        m.put("NumberOfUnits", taps.units());
        m.put("StorageDtype", study.storageDtype().label());
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("Argument", subject.argument());
        model.put("Revision", subject.revision());
        model.put("Commit", subject.commit());
        model.put("WeightsSHA256", subject.weightsSha256());
        model.put("Architecture", this.model.model().architecture());
        m.put("Model", model);
        m.put("Taps", study.taps());
        m.put("TapNames", taps.taps().stream().map(t -> t.name()).toList());
        Map<String, Object> acq = new LinkedHashMap<>();
        acq.put("Mode", study.acquisition().mode().label());
        if (reads) {
            acq.put("KeepSpecialTokens", study.acquisition().keepSpecialTokens());
            acq.put("BatchSize", study.acquisition().batchSize());
            acq.put("TimePoint", "activations at each token's position, the prompt read in one forward pass from a fresh context");
        }
        m.put("Acquisition", acq);
        if (!reads) m.put("Generation", generation(study));
        m.put("Seed", study.seed());
        List<Map<String, Object>> prompts = new ArrayList<>();
        for (int i = 0; i < slots.size(); i++) {
            PromptSlot s = slots.get(i);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("index", s.index());
            p.put("prompt_id", s.promptId());
            p.put("block", s.block());
            p.put("condition", s.condition());
            p.put("onset", (long) events.get(i).onset());
            p.put("text", s.text());
            p.put("prompt_token_ids", promptIds.get(i));
            if (reads) {
                p.put("duration", events.get(i).duration());
                p.put("read_token_mask", input.keep().get(i));
            } else {
                p.put("generated_token_ids", generated.get(i));
                p.put("generated_text", tokenizer.decode(generated.get(i)));
            }
            prompts.add(p);
        }
        m.put("Prompts", prompts);
        m.put("GeneratedBy", VERSION);
        writeJson(ds.sidecar(run.taskId(), run.run()), m);
    }

    private static Map<String, Object> generation(Study study) {
        Generation g = study.generation();
        Map<String, Object> gen = new LinkedHashMap<>();
        gen.put("MaxNewTokens", g.maxNewTokens());
        gen.put("Strategy", g.strategy().label());
        gen.put("Temperature", g.temperature());
        gen.put("TopK", g.topK());
        gen.put("TopP", g.topP());
        gen.put("SuppressEOS", g.suppressEos());
        gen.put("Context", study.context().label());
        gen.put("TimePoint", "activations at the position that produced the token (the first: the prompt's last position)");
        return gen;
    }

    private void writeDescription(Dataset ds, Study study) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("Name", "llmri scan: " + study.name());
        d.put("BIDSVersion", "1.9.0");
        d.put("DatasetType", "derivative");
        Map<String, Object> by = new LinkedHashMap<>();
        by.put("Name", "llmri");
        by.put("Version", versionOf());
        by.put("Description", "per-token activations of a language model under a block-design prompt paradigm");
        d.put("GeneratedBy", List.of(by));
        d.put("Subject", ds.subject());
        d.put("Model", subject.argument());
        d.put("WeightsSHA256", subject.weightsSha256());
        writeJson(ds.description(), d);
    }

    private void writeJson(Path file, Object value) {
        try {
            AtomicFile.writeStringIfChanged(file, json.writeValueAsString(value) + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new LlmriException(file + ": cannot write JSON (" + e.getOriginalMessage() + ")");
        }
    }

    static String versionOf() {
        String v = Scanner.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Stops the scan at the first NaN or Inf, naming where it appeared; the runs already complete are kept. */
    private static final class FiniteCheck {
        private final TapSet taps;
        private final List<PromptSlot> slots;
        private final RunPlan run;

        FiniteCheck(TapSet taps, List<PromptSlot> slots, RunPlan run) {
            this.taps = taps;
            this.slots = slots;
            this.run = run;
        }

        void check(float[] row, int offset, int prompt, int token) {
            int units = taps.units();
            for (int u = 0; u < units; u++) {
                float v = row[offset + u];
                if (Float.isFinite(v)) continue;
                int tap = 0;
                while (tap + 1 < taps.taps().size() && taps.offset(tap + 1) <= u) tap++;
                var t = taps.taps().get(tap);
                String layer = t.layer() >= 0 ? Integer.toString(t.layer()) : "n/a";
                PromptSlot slot = prompt >= 0 && prompt < slots.size() ? slots.get(prompt) : null;
                throw new LlmriException("scan stopped: " + (Float.isNaN(v) ? "NaN" : "Inf") + " activation at tap " + t.name()
                        + " (layer " + layer + ", unit " + (u - taps.offset(tap)) + "), " + run.label() + ", prompt "
                        + (slot == null ? Integer.toString(prompt) : slot.promptId()) + ", token " + token
                        + "; the runs already complete are kept (check the model's weights)");
            }
        }
    }
}
