package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.dataset.Dataset;
import org.llmri.io.FolderLock;
import org.llmri.io.Npy;
import org.llmri.model.LoadedModel;
import org.llmri.model.opt.TinyModel;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Tensor;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.Study;
import org.llmri.scan.Scanner;

/**
 * Faults that once gave a wrong result with exit code 0, or a misleading error: each now gives one line,
 * exit code 2, and leaves nothing that looks complete. (Kill -9 and concurrent processes: {@link KillTest}.)
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class FaultInjectionTest {
    @TempDir static Path shared;
    static Path model, yaml, scan;

    /** The paper's design with 4 tokens per prompt on the tiny model: 12 runs of 80 time points. */
    static Study small(Path model) {
        Study s = Paradigms.builtin(Paradigms.GALACTICA_FMRI).withRunsPerTask(2).withModel(model.toString());
        return s.withGeneration(s.generation().withMaxNewTokens(4));
    }

    @BeforeAll
    static void modelAndScan() throws IOException {
        model = shared.resolve("tiny");
        TinyModel.write(model, 7);
        yaml = shared.resolve("study.yaml");
        Files.writeString(yaml, small(model).toYaml());
        scan = shared.resolve("scan");
        Cli r = Cli.run("scan", yaml.toString(), "--out", scan.toString());
        assertThat(r.code()).as(r.err()).isZero();
    }

    static void assertOneLine(Cli r, String... parts) {
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").startsWith("llmri: ").contains(parts).doesNotContain("Exception");
    }

    static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }

    static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    static List<Path> files(Path dir) throws IOException {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals(FolderLock.FILE)).toList();
        }
    }

    // ---- silent wrong result 4: an incomplete scan analysed as if whole

    @Test
    void everyConsumerRefusesAnIncompleteScanAndWritesNothing(@TempDir Path work) throws IOException {
        Path ds = work.resolve("killed");
        copy(scan, ds);
        // as a scan killed in its tenth run leaves it: the later runs' sidecars and the description missing
        Dataset d = new Dataset(ds, "tiny");
        var runs = small(model).plan().runs();
        for (var run : runs.subList(9, 12)) Files.delete(d.sidecar(run.taskId(), run.run()));
        Files.delete(d.description());
        String expected = "scan incomplete: 9 of 12 runs; finish it with llmri scan --resume " + ds;

        assertOneLine(Cli.run("glm", "--dataset", ds.toString(), "--permutations", "20"), ds + ": " + expected);
        assertThat(files(ds.resolve("glm"))).isEmpty();
        assertOneLine(Cli.run("export", "nifti", ds.toString()), expected);
        assertThat(files(ds.resolve("nifti"))).isEmpty();

        Path study = work.resolve("study");
        copy(ds, study.resolve("scan"));
        // the study resumes its own scan first, so it finishes the runs instead of analysing part of them
        Cli r = Cli.run("study", yaml.toString(), "--out", study.toString(), "--permutations", "20");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readAllBytes(study.resolve("scan").resolve(Dataset.DESCRIPTION_FILE)))
                .isEqualTo(Files.readAllBytes(scan.resolve(Dataset.DESCRIPTION_FILE)));
    }

    // ---- silent wrong result 2: a copied study reading the original's maps

    @Test
    void aCopiedStudyRerunsFromItsOwnFilesWithTheOriginalDeleted(@TempDir Path work) throws IOException {
        Path a = work.resolve("a"), b = work.resolve("b");
        copy(scan, a.resolve("scan"));
        Cli first = Cli.run("study", yaml.toString(), "--out", a.toString(), "--permutations", "20");
        assertThat(first.code()).as(first.err()).isZero();
        String record = Files.readString(a.resolve("glm").resolve("glm_outputs.json"));
        assertThat(record).doesNotContain(a.toString()).doesNotContain("file:");

        copy(a, b);
        delete(a);
        Cli again = Cli.run("study", yaml.toString(), "--out", b.toString(), "--permutations", "20");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err() + again.out()).doesNotContain(a.toString());
        assertThat(b.resolve("report").resolve("report.html")).exists();
        assertThat(a).doesNotExist();

        // a rerun with other options refits into the copy itself
        Cli ols = Cli.run("study", yaml.toString(), "--out", b.toString(), "--permutations", "20", "--noise", "ols");
        assertThat(ols.code()).as(ols.err()).isZero();
        assertThat(Files.readString(b.resolve("glm").resolve("glm_outputs.json"))).contains("noise=Ols").doesNotContain(a.toString());
    }

    // ---- silent wrong result 3: NaN

    @Test
    void theGlmRefusesNonFiniteDataUnlessAskedToMaskIt(@TempDir Path work) throws IOException {
        Path ds = work.resolve("nan");
        copy(scan, ds);
        Path npy = new Dataset(ds, "tiny").activations("pathology", 1);
        float[] y = Npy.readFloats(npy);
        int units = (int) Npy.readHeader(npy).shape()[1];
        y[5 * units + 17] = Float.NaN;
        y[9 * units + 17] = Float.POSITIVE_INFINITY;
        y[2 * units + 40] = Float.NEGATIVE_INFINITY;
        Npy.write(npy, y, y.length / units, units);

        assertOneLine(Cli.run("glm", "--dataset", ds.toString(), "--permutations", "20"), npy.toString(), "2 unit(s) hold NaN or Inf",
                "--mask-nonfinite");
        assertThat(files(ds.resolve("glm"))).isEmpty();

        Cli masked = Cli.run("glm", "--dataset", ds.toString(), "--permutations", "20", "--mask-nonfinite");
        assertThat(masked.code()).as(masked.err()).isZero();
        assertThat(masked.err()).contains("warning: 2 unit(s) hold NaN or Inf (3 values)");
        double[] z = Npy.readDoubles(ds.resolve("glm").resolve("sub-tiny").resolve(
                "sub-tiny_task-pathology_contrast-taskMinusControl_stat-z_statmap.npy"));
        assertThat(z[17]).isZero();
        assertThat(z[40]).isZero();
        assertThat(java.util.Arrays.stream(z).allMatch(Double::isFinite)).isTrue();
        assertThat(ds.resolve("glm").resolve(".nonfinite-masked")).doesNotExist();
    }

    @Test
    void aModelWithNonFiniteWeightsIsRefusedAtLoadAndItsActivationsStopTheScan(@TempDir Path work) throws IOException {
        Path bad = work.resolve("bad");
        copy(model, bad);
        Path st = bad.resolve("model.safetensors");
        List<Tensor> tensors = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (var e : Safetensors.map(st, arena).entrySet()) {
                float[] v = e.getValue().toFloatArray();
                if (e.getKey().endsWith("layers.0.self_attn_layer_norm.weight")) v[3] = Float.NaN;
                tensors.add(Tensor.ofFloats(e.getKey(), e.getValue().shape(), v));
            }
        }
        Safetensors.write(st, tensors);

        Study study = small(bad);
        Path y = work.resolve("bad.yaml");
        Files.writeString(y, study.toYaml());
        Path out = work.resolve("out");
        assertOneLine(Cli.run("scan", y.toString(), "--out", out.toString()), "layers.0.self_attn_layer_norm.weight", "NaN");
        assertThat(files(out).stream().filter(p -> p.toString().contains("sub-"))).isEmpty();

        // the scanner's own check, row by row, names the tap, layer, prompt and token
        try (LoadedModel m = LoadedModel.open(bad); TextTokenizer tok = TextTokenizer.load(bad.resolve("tokenizer.json"))) {
            Scanner s = new Scanner(m, tok, new Scanner.Subject(study.model(), null, null, "x"), null);
            Path out2 = work.resolve("out2");
            String firstPrompt = study.plan().runs().get(0).prompts().get(0).promptId();
            assertThatThrownBy(() -> s.scan(study, out2, false)).isInstanceOf(LlmriException.class)
                    .hasMessageContaining("NaN activation at tap layers.0.self_attn_layer_norm (layer 0, unit 3)")
                    .hasMessageContaining("prompt " + firstPrompt).hasMessageContaining("token 0").hasMessageNotContaining("\n");
            Dataset d = new Dataset(out2, "bad");
            assertThat(d.description()).doesNotExist();
            assertThat(files(out2).stream().filter(p -> p.toString().endsWith("_activations.json") || p.toString().endsWith("_events.tsv")))
                    .isEmpty();
        }
    }

    // ---- resource guards and early checks

    @Test
    void permutationsThatCannotFitAreRefusedBeforeWorkStarts() throws IOException {
        Path out = shared.resolve("perm-glm");
        assertOneLine(Cli.run("glm", "--dataset", scan.toString(), "--out", out.toString(), "--permutations", "100000000"),
                "--permutations 100000000 needs about", "use --permutations");
        assertThat(files(out)).isEmpty();
        Cli few = Cli.run("glm", "--dataset", scan.toString(), "--out", shared.resolve("few").toString(), "--permutations", "10");
        assertThat(few.code()).as(few.err()).isZero();
        assertThat(few.err()).contains("smallest FWE p is 0.100, above alpha 0.05: no unit can pass");
    }

    @Test
    void aPromptLongerThanTheContextStopsTheScanAtStartNamingFileTaskAndPrompt(@TempDir Path work) throws IOException {
        Study s = small(model);
        s = s.withGeneration(s.generation().withMaxNewTokens(120)); // the tiny model has 128 positions
        Path y = work.resolve("long.yaml");
        Files.writeString(y, s.toYaml());
        Path out = work.resolve("out");
        var first = s.plan().runs().get(0);
        assertOneLine(Cli.run("scan", y.toString(), "--out", out.toString()), "study.yaml: task " + first.taskId(),
                "prompt " + first.prompts().get(0).promptId(), "exceed the model's context of 128");
        assertThat(files(out).stream().filter(p -> p.toString().contains("sub-"))).isEmpty();
    }

    @Test
    void paradigmShowPlanChecksEveryPromptAgainstALocalModelsContext(@TempDir Path work) throws IOException {
        Cli ok = Cli.run("paradigm", "show", yaml.toString(), "--plan");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.err()).contains("every prompt fits the model's context of 128 positions");
        Study s = small(model);
        s = s.withGeneration(s.generation().withMaxNewTokens(120));
        Path y = work.resolve("long.yaml");
        Files.writeString(y, s.toYaml());
        var first = s.plan().runs().get(0);
        assertOneLine(Cli.run("paradigm", "show", y.toString(), "--plan"), y + ": task " + first.taskId(),
                "prompt " + first.prompts().get(0).promptId());
    }

    @Test
    void eventsWithoutTrialTypeAreNamedAsSuch(@TempDir Path work) {
        Path events = work.resolve("sub-a_task-b_run-1_events.tsv");
        org.llmri.io.Tsv.write(events, List.of("onset", "duration"), List.of(List.of(0, 4), List.of(4, 4)));
        Path data = work.resolve("sub-a_task-b_run-1_activations.npy");
        Npy.write(data, new float[8 * 3], 8, 3);
        assertOneLine(Cli.run("glm", "--data", data.toString(), "--events", events.toString(), "--out", work.resolve("o").toString()),
                events + ": no trial_type column");
    }

    // ---- locks (in this process; across processes: KillTest)

    @Test
    void aSecondWriterIsRefusedNamingTheFolderAndTheHolder(@TempDir Path work) {
        Path out = work.resolve("busy");
        long pid = ProcessHandle.current().pid();
        try (FolderLock held = FolderLock.acquire(out, "scan")) {
            assertOneLine(Cli.run("scan", yaml.toString(), "--out", out.toString()), out + ": in use by another llmri process (pid " + pid + ")");
            assertOneLine(Cli.run("study", yaml.toString(), "--out", out.toString()), "(pid " + pid + ")");
        }
        try (FolderLock again = FolderLock.acquire(out, "scan")) {
            assertThat(out.resolve(FolderLock.FILE)).content().startsWith(pid + " scan");
        }
    }

    @Test
    void aReadOnlyFolderIsOneLineAndNothingIsWritten(@TempDir Path work) throws IOException {
        Path ro = Files.createDirectories(work.resolve("ro"));
        ro.toFile().setWritable(false, false);
        try {
            // root writes anywhere, so the check means something only for an ordinary user
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(ro), "runs as a user who can write a read-only folder");
            Path out = ro.resolve("scan");
            assertOneLine(Cli.run("scan", yaml.toString(), "--out", out.toString()), out + ": cannot write here (permission denied)");
            assertOneLine(Cli.run("glm", "--dataset", scan.toString(), "--out", out.toString()), "permission denied");
            assertThat(out).doesNotExist();
        } finally {
            ro.toFile().setWritable(true, false);
        }
    }

    @Test
    void topLevelHelpIsAShortTableOfEveryCommand() {
        Cli r = Cli.run("--help");
        assertThat(r.code()).isZero();
        for (String c : List.of("demo", "study", "scan", "glm", "export", "paradigm", "model", "generate", "forward", "tokenize", "bench",
                "bench-glm")) {
            assertThat(r.out()).containsPattern("(?m)^  " + java.util.regex.Pattern.quote(c) + " +\\S");
        }
        assertThat(r.out().lines().filter(l -> l.length() > 100)).isEmpty();
    }
}
