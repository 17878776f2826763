package org.llmri.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.dataset.Dataset;
import org.llmri.LlmriException;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;
import org.llmri.model.ForwardHook;
import org.llmri.model.KvCache;
import org.llmri.model.LanguageModel;
import org.llmri.model.LoadedModel;
import org.llmri.model.Step;
import org.llmri.model.Tap;
import org.llmri.model.TestFiles;
import org.llmri.model.run.Generator;
import org.llmri.model.run.HiddenStates;
import org.llmri.model.tokenizer.RandomTokenizer;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.Acquisition;
import org.llmri.paradigm.Condition;
import org.llmri.paradigm.Design;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.PromptSource;
import org.llmri.paradigm.RunPlan;
import org.llmri.paradigm.Study;
import org.llmri.paradigm.Task;
import org.llmri.probe.TapSet;
import org.llmri.tensor.Threads;

/** Reading mode on the OPT fixture (with a random tokenizer): one time point per prompt token. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ReadingScanTest {
    @TempDir static Path shared;
    static Path model;

    @BeforeAll
    static void copyFixtureAndAddATokenizer() throws IOException {
        model = shared.resolve("opt-tiny-f32");
        Files.createDirectories(model);
        try (Stream<Path> files = Files.list(TestFiles.fixture("opt-tiny-f32"))) {
            for (Path f : files.toList()) Files.copy(f, model.resolve(f.getFileName().toString()));
        }
        RandomTokenizer.write(model, 300); // the fixture's vocabulary size
    }

    /** Two tasks whose prompts differ in length, blocks off on off, 2 prompts a block. */
    static Study study() {
        return study(model);
    }

    static Study study(Path model) {
        return Paradigms.builtin(Paradigms.FMRI_READ).withModel(model.toString()).withRunsPerTask(1)
                .withDesign(new Design(List.of(Condition.OFF, Condition.ON, Condition.OFF), 2))
                .withTasks(List.of(
                        new Task("short", "short", new PromptSource.Inline(List.of("A cell.", "Bones of a whale were found in the dry valley"))),
                        new Task("long", "long", new PromptSource.Inline(List.of(
                                "The committee voted to reform the electoral law before the next national election",
                                "Radiologists read the scan")))))
                .withControl(new PromptSource.Inline(List.of("Bread rises in a warm kitchen", "We walked the dog",
                        "The train to the coast leaves at nine every morning", "Tea", "A quiet park in autumn light",
                        "She painted the fence blue")));
    }

    static Dataset scan(Study study, Path out) {
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            return new Scanner(m, tok, new Scanner.Subject(study.model(), null, null, "0".repeat(64)), null).scan(study, out, false);
        }
    }

    @Test
    void eventsFollowTheTokenCountsAndEachRowEqualsAOneByOneForward(@TempDir Path out) throws IOException {
        Study study = study();
        Dataset ds = scan(study, out);
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            TapSet taps = TapSet.select(m.model(), "all");
            int units = taps.units(), h = m.model().hiddenSize(), layers = m.model().numLayers();
            for (RunPlan run : study.plan().runs()) {
                Tsv.Table events = Tsv.read(ds.events(run.taskId(), run.run()));
                double[] onset = events.numbers("onset"), duration = events.numbers("duration");
                int t0 = 0;
                for (int p = 0; p < run.prompts().size(); p++) {
                    int[] ids = tok.encode(run.prompts().get(p).text());
                    assertThat(duration[p]).as(run.label() + " prompt " + p).isEqualTo(ids.length);
                    assertThat(onset[p]).isEqualTo(t0);
                    t0 += ids.length;
                }
                try (Npy.Mapped a = Npy.map(ds.activations(run.taskId(), run.run()))) {
                    assertThat(a.shape()).containsExactly(t0, units);
                    for (int p = 0; p < run.prompts().size(); p++) {
                        int[] ids = tok.encode(run.prompts().get(p).text());
                        Map<String, float[]> ref = HiddenStates.run(m.model(), ids);
                        for (int pos = 0; pos < ids.length; pos++) {
                            long row = (long) onset[p] + pos;
                            assertRowPart(a, row * units + taps.offset(taps.indexOf("embed")), ref.get("hidden.0"), pos * h, h);
                            for (int l = 0; l < layers - 1; l++) {
                                assertRowPart(a, row * units + taps.offset(taps.indexOf("layers." + l)), ref.get("hidden." + (l + 1)), pos * h, h);
                            }
                            int fin = taps.indexOf("final_layer_norm");
                            if (fin >= 0) assertRowPart(a, row * units + taps.offset(fin), ref.get("hidden." + layers), pos * h, h);
                        }
                    }
                }
            }
        }
        JsonNode sidecar = new ObjectMapper().readTree(ds.sidecar("long", 1).toFile());
        assertThat(sidecar.path("Acquisition").path("Mode").asText()).isEqualTo("read");
        assertThat(sidecar.path("Acquisition").path("KeepSpecialTokens").asBoolean()).isFalse();
        assertThat(sidecar.has("Generation")).isFalse();
        assertThat(sidecar.path("Model").path("Architecture").asText()).isEqualTo("OPTForCausalLM");
    }

    private static void assertRowPart(Npy.Mapped a, long at, float[] ref, int from, int n) {
        for (int j = 0; j < n; j++) {
            assertThat(Math.abs(a.getFloat(at + j) - ref[from + j])).as("unit %d", j).isLessThanOrEqualTo(1e-5f);
        }
    }

    @Test
    void aPromptsValuesDoNotDependOnItsBatch(@TempDir Path whole, @TempDir Path one) throws IOException {
        Study s = study();
        Dataset a = scan(s.withAcquisition(new Acquisition(Acquisition.Mode.READ, false, 0)), whole);
        Dataset b = scan(s.withAcquisition(new Acquisition(Acquisition.Mode.READ, false, 1)), one);
        for (RunPlan run : s.plan().runs()) {
            assertThat(Files.mismatch(a.activations(run.taskId(), run.run()), b.activations(run.taskId(), run.run()))).isEqualTo(-1L);
            assertThat(Files.mismatch(a.events(run.taskId(), run.run()), b.events(run.taskId(), run.run()))).isEqualTo(-1L);
        }
    }

    @Test
    void specialTokensAreLeftOutUnlessKept(@TempDir Path dropped, @TempDir Path kept) throws IOException {
        // "</s>" is Galactica's special token 2; a prompt that holds it reads it as one token
        Study s = study().withTasks(List.of(new Task("special", "special",
                new PromptSource.Inline(List.of("Fossils </s> of a whale", "A cell </s>")))));
        int[] ids;
        try (TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            ids = tok.encode("Fossils </s> of a whale");
        }
        assertThat(ids).contains(2);
        RunPlan run = s.plan().runs().getFirst();
        int at = run.prompts().stream().filter(p -> p.text().startsWith("Fossils")).findFirst().orElseThrow().index();
        Tsv.Table without = Tsv.read(scan(s, dropped).events(run.taskId(), run.run()));
        Tsv.Table with = Tsv.read(scan(s.withAcquisition(new Acquisition(Acquisition.Mode.READ, true, 8)), kept)
                .events(run.taskId(), run.run()));
        assertThat(with.numbers("duration")[at]).isEqualTo(ids.length);
        assertThat(without.numbers("duration")[at]).isEqualTo(ids.length - 1);
    }

    @Test
    void aModelThatCannotGenerateIsOnlyRead(@TempDir Path out) {
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            LanguageModel encoder = new ReadOnly(m.model());
            assertThatThrownBy(() -> new Generator(encoder)).isInstanceOf(LlmriException.class)
                    .hasMessageContaining("cannot generate").hasMessageContaining("acquisition: read");
            LoadedModel wrapped = new LoadedModel(m.dir(), m.modelType(), m.weights(), encoder);
            Study generate = study().withAcquisition(Acquisition.GENERATE);
            assertThatThrownBy(() -> new Scanner(wrapped, tok, new Scanner.Subject("x", null, null, "0".repeat(64)), null)
                    .scan(generate, out, false)).isInstanceOf(LlmriException.class).hasMessageContaining("set acquisition: read");
            Dataset ds = new Scanner(wrapped, tok, new Scanner.Subject("x", null, null, "0".repeat(64)), null).scan(study(), out, false);
            assertThat(ds.description()).exists();
        }
    }

    /** A model seen as one that cannot generate, as an encoder is. */
    private record ReadOnly(LanguageModel m) implements LanguageModel {
        public String architecture() { return m.architecture(); }
        public List<Tap> taps() { return m.taps(); }
        public List<String> kindOrder() { return m.kindOrder(); }
        public org.llmri.model.ModelShape shape() {
            var s = m.shape();
            return new org.llmri.model.ModelShape(s.hiddenSize(), s.vocabSize(), s.numLayers(), s.maxPositions(), -1, false);
        }
        public Threads threads() { return m.threads(); }
        public KvCache newCache(int slots) { return m.newCache(slots); }
        public Output forward(Step step, KvCache cache, ForwardHook hook, boolean logits) { return m.forward(step, cache, hook, logits); }
        public void close() {}
    }
}
