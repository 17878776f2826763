package org.llmri.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.llmri.LlmriException;
import org.llmri.dataset.Dataset;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;
import org.llmri.model.LoadedModel;
import org.llmri.model.opt.TinyModel;
import org.llmri.model.run.HiddenStates;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.Design;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.Study;
import org.llmri.probe.TapSet;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ScanTest {
    @TempDir static Path shared;
    static Path model;

    static Path reference;

    @BeforeAll
    static void makeModelAndReferenceScan() {
        model = shared.resolve("tiny");
        TinyModel.write(model, 7);
        reference = shared.resolve("reference");
        scan(paper(), reference, false);
    }

    static Study paper() {
        return Paradigms.builtin(Paradigms.GALACTICA_FMRI).withRunsPerTask(2).withModel(model.toString());
    }

    /** The paper's design, shortened (4 tokens per prompt) where a test needs many scans. */
    static Study small() {
        Study s = paper();
        return s.withGeneration(s.generation().withMaxNewTokens(4));
    }

    static Dataset scan(Study study, Path out, boolean resume) {
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            String sha = org.llmri.model.weights.Sha256.ofFiles(m.weights().files());
            // as the CLI scans (ScanStage): with the token-level GLM statistics
            return new Scanner(m, tok, new Scanner.Subject(study.model(), null, null, sha), null)
                    .withTokenDesign(org.llmri.study.ScanStage::tokenDesign).scan(study, out, resume);
        }
    }

    @Test
    void thePapersParadigmGivesOneTimePointPerTokenWithEventsForEachTimePoint() throws IOException {
        Dataset ds = new Dataset(reference, "tiny");
        var plan = paper().plan();
        assertThat(plan.runs()).hasSize(12);
        Tsv.Table units = Tsv.read(ds.units());
        assertThat(units.header()).containsExactly("unit", "tap", "kind", "layer", "index", "x", "y", "z");
        // tiny: 64 (embed) + 3 layers x (9 x 64 + 2 x 256) + 64 (final LayerNorm)
        assertThat(units.rows()).hasSize(64 + 3 * (9 * 64 + 2 * 256) + 64);
        for (var run : plan.runs()) {
            try (Npy.Mapped a = Npy.map(ds.activations(run.taskId(), run.run()))) {
                assertThat(a.shape()).containsExactly(640, units.rows().size());
                assertThat(a.header().dtype()).isEqualTo(Npy.Dtype.F32);
            }
            Tsv.Table events = Tsv.read(ds.events(run.taskId(), run.run()));
            assertThat(events.header()).containsExactly("onset", "duration", "trial_type", "block", "prompt_id");
            int[] covered = new int[640];
            double[] onset = events.numbers("onset"), duration = events.numbers("duration");
            List<String> type = events.column("trial_type");
            for (int r = 0; r < onset.length; r++) {
                for (int t = (int) onset[r]; t < onset[r] + duration[r]; t++) covered[t]++;
                int block = (int) events.numbers("block")[r];
                assertThat(type.get(r)).isEqualTo(block % 2 == 0 ? "task" : "control"); // off on off on off
            }
            assertThat(covered).containsOnly(1);
        }
        var sidecar = new com.fasterxml.jackson.databind.ObjectMapper().readTree(ds.sidecar("pathology", 1).toFile());
        assertThat(sidecar.get("RepetitionTime").asInt()).isEqualTo(1);
        assertThat(sidecar.get("Prompts")).hasSize(20);
        assertThat(sidecar.get("Prompts").get(0).get("generated_token_ids")).hasSize(32);
        assertThat(sidecar.path("Model").path("WeightsSHA256").asText()).hasSize(64);
        assertThat(ds.description()).exists();
    }

    @Test
    void eachTimePointHoldsTheActivationsAtThePositionThatProducedItsToken(@TempDir Path out) throws IOException {
        Study study = small();
        Dataset ds = scan(study, out, false);
        var run = study.plan().runs().get(3);
        var sidecar = new com.fasterxml.jackson.databind.ObjectMapper().readTree(ds.sidecar(run.taskId(), run.run()).toFile());
        try (LoadedModel m = LoadedModel.open(model); Npy.Mapped a = Npy.map(ds.activations(run.taskId(), run.run()))) {
            TapSet taps = TapSet.select(m.model().taps(), "all");
            int units = taps.units();
            int lastLayer = taps.offset(taps.indexOf("layers.2"));
            int fc1 = taps.offset(taps.indexOf("layers.1.fc1"));
            for (int p : new int[] {0, 7, 19}) {
                var prompt = sidecar.get("Prompts").get(p);
                List<Integer> ids = new ArrayList<>();
                prompt.get("prompt_token_ids").forEach(n -> ids.add(n.asInt()));
                int promptLen = ids.size();
                prompt.get("generated_token_ids").forEach(n -> ids.add(n.asInt()));
                // recompute the whole sequence at once, then read the position that produced token k
                Map<String, float[]> ref = HiddenStates.run(m.model(), ids.stream().mapToInt(Integer::intValue).toArray());
                float[] recorded = ref.get("hidden.3"); // after layer 2 and the final LayerNorm: not a tap value
                assertThat(recorded).isNotNull();
                float[] layer2 = ref.get("hidden.2"); // output of layer index 1 (layers.1)
                int resid1 = taps.offset(taps.indexOf("layers.1"));
                for (int k = 0; k < 4; k++) {
                    int pos = promptLen + k - 1;
                    long t = (long) p * 4 + k;
                    for (int j = 0; j < 64; j++) {
                        assertThat(a.getFloat(t * units + resid1 + j)).isCloseTo(layer2[pos * 64 + j], org.assertj.core.data.Offset.offset(1e-5f));
                    }
                }
            }
            assertThat(lastLayer).isGreaterThan(fc1);
        }
    }

    @Test
    void sameStudyAndSeedGiveAByteIdenticalDataset(@TempDir Path a, @TempDir Path b) throws IOException {
        scan(small(), a, false);
        scan(small(), b, false);
        assertSameFiles(a, b);
        assertThatThrownBy(() -> scan(small(), a, false)).isInstanceOf(LlmriException.class).hasMessageContaining("already holds a finished scan");
    }

    @Test
    void f16StorageHalvesTheFileAndRoundsOnce(@TempDir Path a) {
        Study s = small().withStorageDtype(org.llmri.paradigm.StorageDtype.F16);
        Dataset ds = scan(s, a, false);
        try (Npy.Mapped m = Npy.map(ds.activations("pathology", 1))) {
            assertThat(m.header().dtype()).isEqualTo(Npy.Dtype.F16);
        }
    }

    @Test
    void aFullDiskIsAOneLineErrorAndLeavesNoCompleteLookingFile(@TempDir Path out) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/full")), "needs /dev/full");
        Study study = small();
        var first = study.plan().runs().get(0);
        Dataset ds = new Dataset(out, Dataset.subjectFor(study.model()));
        Files.createDirectories(ds.funcDir());
        // writes to /dev/full fail with ENOSPC, exactly as on a full disk
        Files.createSymbolicLink(org.llmri.io.AtomicFile.partialOf(ds.activations(first.taskId(), first.run())), Path.of("/dev/full"));
        assertThatThrownBy(() -> scan(study, out, false)).isInstanceOf(LlmriException.class)
                .hasMessageContaining("disk full").hasMessageNotContaining("\n");
        assertThat(ds.activations(first.taskId(), first.run())).doesNotExist();
        assertThat(ds.description()).doesNotExist();
    }

    /** Kills a scan in another JVM (SIGKILL) at several points, resumes it, and compares byte for byte. */
    @ParameterizedTest
    @ValueSource(ints = {0, 3, 8})
    void aScanKilledAtAnyPointResumesToTheSameBytes(int completedRunsBeforeKill, @TempDir Path work) throws Exception {
        Study study = paper();
        Path killed = work.resolve("killed");
        Path yaml = work.resolve("study.yaml");
        Files.writeString(yaml, study.toYaml());
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "org.llmri.cli.Main", "scan", yaml.toString(), "--out", killed.toString());
        pb.environment().put("LLMRI_THREADS", "1");
        pb.redirectErrorStream(true).redirectOutput(work.resolve("child.log").toFile());
        Process child = pb.start();
        Path func = killed.resolve("sub-tiny").resolve("func");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        // kill while a run is half written, after the wanted number of complete runs
        while (child.isAlive() && System.nanoTime() < deadline) {
            if (count(func, "_activations.json") >= completedRunsBeforeKill && count(func, ".npy.partial") > 0) break;
            Thread.sleep(2);
        }
        child.destroyForcibly().waitFor();
        assertThat(killed.resolve(Dataset.DESCRIPTION_FILE)).as("the scan was killed before it finished").doesNotExist();
        assertThat(count(func, "_activations.npy")).isLessThan(12);

        scan(Study.load(killed.resolve(Dataset.STUDY_FILE)), killed, true);
        assertSameFiles(reference, killed);
    }

    static long count(Path dir, String suffix) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).count();
        }
    }

    static void assertSameFiles(Path a, Path b) throws IOException {
        Map<String, byte[]> fa = files(a), fb = files(b);
        assertThat(fb.keySet()).containsExactlyElementsOf(fa.keySet());
        for (String k : fa.keySet()) assertThat(fb.get(k)).as(k).isEqualTo(fa.get(k));
    }

    static Map<String, byte[]> files(Path root) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) out.put(root.relativize(p).toString(), Files.readAllBytes(p));
        }
        return out;
    }
}
