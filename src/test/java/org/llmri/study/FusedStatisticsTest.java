package org.llmri.study;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.dataset.BidsNames;
import org.llmri.dataset.Dataset;
import org.llmri.dataset.RunStatistics;
import org.llmri.glm.Correction;
import org.llmri.glm.GlmDataset;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.GlmOutputs;
import org.llmri.glm.InferenceLevel;
import org.llmri.glm.PromptLevelDataset;
import org.llmri.io.Npy;
import org.llmri.model.LoadedModel;
import org.llmri.model.opt.TinyModel;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.StorageDtype;
import org.llmri.paradigm.Study;
import org.llmri.scan.Scanner;

/**
 * The fused statistics (accumulated by the scanner while rows stream) give the same analysis as the two-pass
 * path (the activations stored, then read back by the GLM, decoding and the report): maps within 1e-6 relative,
 * every corrected mask, the overlap, repeatability and decoding tables identical; in generation mode and in
 * reading mode, with activations stored as f32, f16 or not at all.
 */
@Tag("slow")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class FusedStatisticsTest {
    static final int PERMUTATIONS = 100;
    @TempDir static Path shared;
    static Path model;

    @BeforeAll
    static void makeModel() {
        model = shared.resolve("tiny");
        TinyModel.write(model, 7);
    }

    static Study generating() {
        Study s = Paradigms.builtin(Paradigms.GALACTICA_FMRI).withModel(model.toString());
        return s.withGeneration(s.generation().withMaxNewTokens(4));
    }

    static Study reading() {
        return Paradigms.builtin(Paradigms.FMRI_READ).withModel(model.toString());
    }

    static Dataset scan(Study study, Path out) {
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            return new Scanner(m, tok, new Scanner.Subject(study.model(), null, null, "0".repeat(64)), null).scan(study, out, false);
        }
    }

    static GlmOptions options() {
        // uncorrected first: the networks the analysis builds are then never empty, so the tables compare something
        return GlmOptions.defaults().withPermutations(PERMUTATIONS, 0).withNifti(false)
                .withCorrections(List.of(Correction.NONE, Correction.FWE, Correction.FDR, Correction.BONFERRONI), 0.05);
    }

    @Test
    void generationModeFusedEqualsTwoPass(@TempDir Path dir) throws IOException {
        assertFusedEqualsTwoPass(generating(), dir);
    }

    @Test
    void readingModeFusedEqualsTwoPass(@TempDir Path dir) throws IOException {
        assertFusedEqualsTwoPass(reading(), dir);
    }

    @Test
    void f16FusedStatisticsEqualTheTwoPassOnTheStoredHalfFloats(@TempDir Path dir) throws IOException {
        Study study = generating().withStorageDtype(StorageDtype.F16);
        Dataset half = scan(study, dir.resolve("f16"));
        Path twoPass = withoutStatistics(half.root(), dir.resolve("f16-two-pass"));
        GlmOutputs.DatasetOutput fused = GlmStage.run(half.root(), dir.resolve("glm-fused"), options(), (w, d, t) -> {});
        GlmOutputs.DatasetOutput slow = GlmStage.run(twoPass, dir.resolve("glm-two-pass"), options(), (w, d, t) -> {});
        assertSameMaps(fused, slow);
    }

    private void assertFusedEqualsTwoPass(Study study, Path dir) throws IOException {
        Dataset stored = scan(study, dir.resolve("f32"));
        Dataset none = scan(study.withStorageDtype(StorageDtype.NONE), dir.resolve("none"));
        // --store none writes no activations, and the same statistics, to the byte
        for (var run : study.plan().runs()) {
            assertThat(none.activations(run.taskId(), run.run())).doesNotExist();
            assertThat(Files.readAllBytes(none.promptStats(run.taskId(), run.run())))
                    .isEqualTo(Files.readAllBytes(stored.promptStats(run.taskId(), run.run())));
        }
        Path twoPass = withoutStatistics(stored.root(), dir.resolve("two-pass"));

        GlmOutputs.DatasetOutput fused = GlmStage.run(none.root(), dir.resolve("glm-fused"), options(), (w, d, t) -> {});
        GlmOutputs.DatasetOutput slow = GlmStage.run(twoPass, dir.resolve("glm-two-pass"), options(), (w, d, t) -> {});
        assertSameMaps(fused, slow);

        Dataset slowDs = new Dataset(twoPass, none.subject());
        StudyAnalysis.Settings settings = new StudyAnalysis.Settings(PERMUTATIONS, 0);
        StudyAnalysis.Result a = StudyAnalysis.run(study, none, fused, options(), dir.resolve("report-fused"), settings);
        StudyAnalysis.Result b = StudyAnalysis.run(study, slowDs, slow, options(), dir.resolve("report-two-pass"), settings);
        assertThat(a.networks().stream().mapToInt(n -> n.positiveCount() + n.negativeCount()).sum()).as("networks to compare").isPositive();
        Map<String, byte[]> ta = files(dir.resolve("report-fused").resolve("tables")), tb = files(dir.resolve("report-two-pass").resolve("tables"));
        assertThat(ta.keySet()).contains("overlap.tsv", "repeatability.tsv", "decoding.tsv", "decoding_summary.tsv", "network_sizes.tsv")
                .containsExactlyElementsOf(tb.keySet());
        for (String k : ta.keySet()) assertThat(new String(ta.get(k))).as(k).isEqualTo(new String(tb.get(k)));
        assertThat(a.report()).exists();

        // what needs every time point refuses a scan that stored none, in one line
        assertThatThrownBy(() -> GlmDataset.run(none.root(), dir.resolve("token"), options(), (w, d, t) -> {}))
                .isInstanceOf(LlmriException.class).hasMessageContaining("stored no activations").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> GlmStage.run(none.root(), dir.resolve("token2"), options(), InferenceLevel.TOKEN,
                PromptLevelDataset.Family.MAP, (w, d, t) -> {}, false, w -> {}))
                .isInstanceOf(LlmriException.class).hasMessageContaining("stored no activations");
        assertThatThrownBy(() -> org.llmri.export.NiftiExport.export(none.root(),
                new org.llmri.export.NiftiExport.Options(dir.resolve("nifti"), true, List.of()), (w, d, t) -> {}))
                .isInstanceOf(LlmriException.class).hasMessageContaining("stored no activations");
    }

    /** A copy of a stored scan without its fused statistics: every reader then takes the two-pass path. */
    static Path withoutStatistics(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else if (!p.getFileName().toString().endsWith(BidsNames.PROMPT_STATS)) Files.copy(p, q);
            }
        }
        return to;
    }

    /** Effect, variance, t and z within 1e-6 relative; p and every correction's mask identical. */
    static void assertSameMaps(GlmOutputs.DatasetOutput a, GlmOutputs.DatasetOutput b) {
        assertThat(a.tasks()).hasSameSizeAs(b.tasks());
        int compared = 0;
        for (int k = 0; k < a.tasks().size(); k++) {
            List<GlmOutputs.LevelOutput> la = levels(a.tasks().get(k)), lb = levels(b.tasks().get(k));
            assertThat(la).hasSameSizeAs(lb);
            for (int i = 0; i < la.size(); i++) {
                GlmOutputs.ContrastOutput ca = la.get(i).contrasts().get(0), cb = lb.get(i).contrasts().get(0);
                for (String stat : List.of("effect", "variance", "t", "z")) {
                    double[] x = Npy.readDoubles(ca.maps().get(stat)), y = Npy.readDoubles(cb.maps().get(stat));
                    assertThat(x).hasSameSizeAs(y);
                    for (int u = 0; u < x.length; u++) {
                        double tol = 1e-6 * Math.max(1e-12, Math.abs(y[u]));
                        assertThat(x[u]).as(la.get(i).prefix() + " " + stat + " unit " + u).isCloseTo(y[u], org.assertj.core.data.Offset.offset(tol));
                    }
                    compared++;
                }
                assertThat(ca.corrections()).hasSameSizeAs(cb.corrections());
                for (int c = 0; c < ca.corrections().size(); c++) {
                    assertThat(Npy.readDoubles(ca.corrections().get(c).mask())).as(la.get(i).prefix() + " " + ca.corrections().get(c).correction())
                            .isEqualTo(Npy.readDoubles(cb.corrections().get(c).mask()));
                }
            }
        }
        assertThat(compared).isPositive();
    }

    static List<GlmOutputs.LevelOutput> levels(GlmOutputs.TaskOutput t) {
        List<GlmOutputs.LevelOutput> out = new java.util.ArrayList<>(t.runs());
        if (t.fixedEffects() != null) out.add(t.fixedEffects());
        return out;
    }

    static Map<String, byte[]> files(Path root) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) out.put(root.relativize(p).toString(), Files.readAllBytes(p));
        }
        return out;
    }

    @Test
    void statisticsHoldEachPromptsSumAndSumOfSquares(@TempDir Path dir) throws IOException {
        Dataset ds = scan(generating(), dir.resolve("scan"));
        var ev = org.llmri.network.RunEvents.read(ds.events("pathology", 1));
        int[] on = new int[ev.events().size()], dur = new int[on.length];
        for (int p = 0; p < on.length; p++) {
            on[p] = ev.events().get(p).onset();
            dur[p] = ev.events().get(p).duration();
        }
        RunStatistics fused = RunStatistics.read(ds.promptStats("pathology", 1), dur);
        float[] y = Npy.readFloats(ds.activations("pathology", 1));
        int units = fused.units();
        for (int p : new int[] {0, 7, 19}) {
            for (int u : new int[] {0, 5, units - 1}) {
                double s = 0, q = 0;
                for (int t = on[p]; t < on[p] + dur[p]; t++) {
                    s += y[t * units + u];
                    q += (double) y[t * units + u] * y[t * units + u];
                }
                assertThat(fused.sums()[p * units + u]).isEqualTo(s);
                assertThat(fused.sumSquares()[p * units + u]).isEqualTo(q);
            }
        }
    }
}
