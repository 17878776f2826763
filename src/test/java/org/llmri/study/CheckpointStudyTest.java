package org.llmri.study;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.InferenceLevel;
import org.llmri.glm.ProgressListener;
import org.llmri.glm.PromptLevelDataset;
import org.llmri.io.Tsv;
import org.llmri.model.hub.DownloadProgress;
import org.llmri.model.hub.HubSettings;
import org.llmri.model.hub.ModelResolver;
import org.llmri.model.opt.Activation;
import org.llmri.model.opt.OptConfig;
import org.llmri.model.opt.RandomModel;
import org.llmri.model.tokenizer.RandomTokenizer;
import org.llmri.model.weights.DType;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Tensor;
import org.llmri.model.weights.TensorSpec;
import org.llmri.paradigm.Generation;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.Study;
import org.llmri.scan.ScanListener;

/**
 * A checkpoint study on three "checkpoints" of one tiny random OPT: the model pulled towards a second random model
 * by less and less (the last one is the model itself), stored in an offline Hugging Face cache as
 * {@code org/tiny} at revisions step1, step2, step3.
 */
@Tag("slow")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class CheckpointStudyTest {
    static final String REPO = "llmri-test/tiny";
    static final List<String> REVISIONS = List.of("step1", "step2", "step3");
    static final double[] NOISE = {0.6, 0.25, 0};
    static final OptConfig CONFIG = new OptConfig(32, 64, 2, 4, 512, 256, true, 32, true, true, Activation.GELU, false, 0, 1, 2);

    @TempDir static Path shared;
    static Path cache;

    @BeforeAll
    static void makeCheckpoints() throws Exception {
        Path base = shared.resolve("base"), other = shared.resolve("other");
        RandomModel.write(base, CONFIG, 3, DType.F32, RandomModel.Format.SAFETENSORS);
        RandomModel.write(other, CONFIG, 4, DType.F32, RandomModel.Format.SAFETENSORS);
        cache = shared.resolve("hub");
        for (int i = 0; i < REVISIONS.size(); i++) {
            Path snap = snapshot(cache, REPO, REVISIONS.get(i));
            mix(base.resolve("model.safetensors"), other.resolve("model.safetensors"), NOISE[i], snap.resolve("model.safetensors"));
            Files.copy(base.resolve("config.json"), snap.resolve("config.json"));
            RandomTokenizer.write(snap, CONFIG.vocabSize());
        }
        // a "checkpoint" of another shape: its units differ
        OptConfig wider = new OptConfig(48, 64, 2, 4, 512, 256, true, 48, true, true, Activation.GELU, false, 0, 1, 2);
        Path snap = snapshot(cache, REPO, "wider");
        RandomModel.write(snap, wider, 5, DType.F32, RandomModel.Format.SAFETENSORS);
        RandomTokenizer.write(snap, wider.vocabSize());
    }

    /** models--org--name/snapshots/&lt;commit&gt;/ with refs/&lt;revision&gt; naming the commit, as huggingface_hub lays it out. */
    static Path snapshot(Path cache, String repo, String revision) throws Exception {
        String commit = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(revision.getBytes(StandardCharsets.UTF_8)));
        Path storage = cache.resolve("models--" + repo.replace("/", "--"));
        Files.createDirectories(storage.resolve("refs"));
        Files.writeString(storage.resolve("refs").resolve(revision), commit);
        return Files.createDirectories(storage.resolve("snapshots").resolve(commit));
    }

    /** (1 - a) * base + a * other, tensor by tensor, as F32 safetensors. */
    static void mix(Path base, Path other, double a, Path out) {
        try (Arena arena = Arena.ofConfined()) {
            SortedMap<String, Tensor> b = Safetensors.map(base, arena), o = Safetensors.map(other, arena);
            List<TensorSpec> specs = new ArrayList<>();
            for (var e : b.entrySet()) {
                Tensor tb = e.getValue(), to = o.get(e.getKey());
                specs.add(new TensorSpec(e.getKey(), DType.F32, tb.shape(), ch -> {
                    int n = (int) tb.numel();
                    float[] x = new float[n], y = new float[n];
                    tb.copyToFloat(0, x, 0, n);
                    to.copyToFloat(0, y, 0, n);
                    ByteBuffer buf = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < n; i++) buf.putFloat((float) ((1 - a) * x[i] + a * y[i]));
                    buf.flip();
                    while (buf.hasRemaining()) ch.write(buf);
                }));
            }
            Safetensors.write(out, specs, Map.of("format", "pt"));
        }
    }

    static ModelResolver offline() {
        HubSettings s = new HubSettings(URI.create("http://127.0.0.1:9"), cache, null, true, Duration.ofSeconds(1), Duration.ofSeconds(1));
        return new ModelResolver(s, ModelResolver.httpClient(s), DownloadProgress.silent());
    }

    static Study study(List<String> revisions) {
        Study paper = Paradigms.builtin(Paradigms.GALACTICA_FMRI);
        Generation g = paper.generation();
        // few generated tokens per prompt: the test is about plumbing across checkpoints, not about the paradigm
        return paper.withRunsPerTask(2).withTaps(List.of("residual")).withModel(REPO).withRevisions(revisions)
                .withGeneration(new Generation(4, g.strategy(), g.temperature(), g.topK(), g.topP(), g.suppressEos(), g.batchSize()));
    }

    static final StudyPipeline.Listener QUIET = new StudyPipeline.Listener() {
        @Override
        public ScanListener scan() {
            return new ScanListener() {};
        }

        @Override
        public ProgressListener glm() {
            return (what, done, total) -> {};
        }
    };

    static CheckpointStudy.Result run(Study study, Path out) {
        GlmOptions opts = GlmOptions.defaults().withPermutations(50, 0).withNifti(false);
        return CheckpointStudy.run(study, out, opts, InferenceLevel.PROMPT, PromptLevelDataset.Family.MAP,
                new StudyAnalysis.Settings(50, 0), QUIET, offline());
    }

    @Test
    void eachRevisionIsAStudyAndTheNetworksAreFollowedAcrossThem(@TempDir Path dir) throws Exception {
        Study study = study(REVISIONS);
        CheckpointStudy.Result r = run(study, dir.resolve("a"));
        List<String> tasks = study.tasks().stream().map(t -> t.id()).toList();

        for (String rev : REVISIONS) {
            Path s = dir.resolve("a").resolve("rev-" + rev);
            assertThat(s.resolve("report/report.html")).isRegularFile();
            assertThat(s.resolve("glm/glm_outputs.json")).isRegularFile();
            // each revision's scan records the repo at that revision
            assertThat(Files.readString(s.resolve("scan/study.yaml"))).contains(REPO + "@" + rev).doesNotContain("revisions");
        }
        Tsv.Table t = Tsv.read(r.table());
        assertThat(t.header()).isEqualTo(CheckpointStudy.COLUMNS);
        assertThat(t.rows()).hasSize(tasks.size() * REVISIONS.size());

        Map<String, Integer> fromSizesTables = new HashMap<>();
        for (String rev : REVISIONS) {
            Tsv.Table sizes = Tsv.read(dir.resolve("a/rev-" + rev + "/report/tables/network_sizes.tsv"));
            for (int i = 0; i < sizes.rows().size(); i++) {
                if (!sizes.column("grouping").get(i).equals("kind")) continue;
                fromSizesTables.merge(rev + "/" + sizes.column("task").get(i),
                        Integer.parseInt(sizes.column("positive").get(i)) + Integer.parseInt(sizes.column("negative").get(i)), Integer::sum);
            }
        }
        int nonEmptyFinal = 0;
        for (int i = 0; i < t.rows().size(); i++) {
            String task = t.column("task").get(i), rev = t.column("revision").get(i);
            int size = Integer.parseInt(t.column("size").get(i));
            assertThat(size).as(rev + " " + task).isEqualTo(fromSizesTables.get(rev + "/" + task))
                    .isEqualTo(Integer.parseInt(t.column("positive").get(i)) + Integer.parseInt(t.column("negative").get(i)));
            String dice = t.column("dice_final").get(i);
            if (rev.equals(REVISIONS.getLast())) {
                if (size > 0) {
                    nonEmptyFinal++;
                    assertThat(Double.parseDouble(dice)).as("final revision's Dice with itself, " + task).isEqualTo(1.0);
                } else {
                    assertThat(dice).isEqualTo("n/a");
                }
            } else if (!dice.equals("n/a")) {
                assertThat(Double.parseDouble(dice)).isBetween(0.0, 1.0);
            }
            assertThat(t.column("study").get(i)).isEqualTo("rev-" + rev);
        }
        assertThat(nonEmptyFinal).as("some task has a network at the final revision").isPositive();
        // rows are task-major, revisions in list order
        assertThat(t.column("revision").subList(0, 3)).containsExactlyElementsOf(REVISIONS);

        String html = Files.readString(r.page());
        assertThat(html).contains("<svg").contains("Dice with the final network").contains("step3").doesNotContain("<script");

        // same inputs, same outputs
        CheckpointStudy.Result again = run(study, dir.resolve("b"));
        assertThat(Files.readString(again.table())).isEqualTo(Files.readString(r.table()));
        assertThat(Files.readString(again.page())).isEqualTo(html);
    }

    @Test
    void refusesWhatCannotBeCompared(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> run(study(List.of("step1", "nosuchstep")), dir.resolve("x")))
                .isInstanceOf(LlmriException.class).hasMessageContaining("revision nosuchstep cannot be resolved");
        assertThat(dir.resolve("x")).doesNotExist(); // refused before anything was scanned
        assertThatThrownBy(() -> run(study(List.of()), dir.resolve("x"))).hasMessageContaining("revisions is empty");
        assertThatThrownBy(() -> run(study(REVISIONS).withModel(shared.resolve("base").toString()), dir.resolve("x")))
                .hasMessageContaining("is a local folder");
        assertThatThrownBy(() -> run(study(REVISIONS).withModel(REPO + "@main"), dir.resolve("x")))
                .hasMessageContaining("give the repo id alone");
        assertThatThrownBy(() -> Study.parse("revisions: []\n", "s.yaml", dir)).hasMessage("s.yaml:1: revisions is empty: name at least"
                + " one revision, or leave the field out");
        assertThatThrownBy(() -> run(study(List.of("step3", "wider")), dir.resolve("y")))
                .hasMessageContaining("different unit layouts").hasMessageContaining("units.tsv");
        assertThat(dir.resolve("y")).doesNotExist(); // refused before any scan
    }

    @Test
    void revisionsRoundTripThroughTheStudyFile() {
        Study s = study(REVISIONS);
        Study back = Study.parse(s.toYaml(), "round trip", null);
        assertThat(back.revisions()).containsExactlyElementsOf(REVISIONS);
        assertThat(back).isEqualTo(s);
        assertThat(Study.parse(study(List.of()).toYaml(), "plain", null).revisions()).isEmpty();
        assertThat(study(List.of()).toYaml()).doesNotContain("revisions");
    }
}
