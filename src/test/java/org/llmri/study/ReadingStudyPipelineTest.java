package org.llmri.study;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.glm.GlmDataset;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.GlmOutputs;
import org.llmri.io.Tsv;
import org.llmri.model.LoadedModel;
import org.llmri.model.opt.Activation;
import org.llmri.model.opt.OptConfig;
import org.llmri.model.opt.RandomModel;
import org.llmri.model.tokenizer.RandomTokenizer;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.model.weights.DType;
import org.llmri.network.Decoding;
import org.llmri.network.Network;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.Study;
import org.llmri.dataset.Dataset;
import org.llmri.scan.Scanner;

/**
 * The whole pipeline in reading mode: the built-in fmri-read paradigm scanned on a small random
 * model (events of different lengths, from the token counts), task units planted into its task
 * events, then GLM with max-T over prompts, networks, overlap, repeatability, decoding and report,
 * all unchanged.
 */
@Tag("slow")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ReadingStudyPipelineTest {
    static final int PLANTED = 12;
    static final int PERMUTATIONS = 200;

    @Test
    void plantedTaskUnitsFormTheNetworksAndDecodeTheTaskWhenRead(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model");
        OptConfig cfg = new OptConfig(64, 256, 2, 4, 1024, 512, true, 64, true, true, Activation.GELU, false, 0, 1, 2);
        RandomModel.write(model, cfg, 3, DType.F32, RandomModel.Format.SAFETENSORS);
        RandomTokenizer.write(model, cfg.vocabSize());
        Study study = Paradigms.builtin(Paradigms.FMRI_READ).withModel(model.toString());
        Path out = dir.resolve("scan");
        Dataset ds;
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            ds = new Scanner(m, tok, new Scanner.Subject(study.model(), null, null, "0".repeat(64)), null).scan(study, out, false);
        }
        List<String> tasks = study.tasks().stream().map(t -> t.id()).toList();
        for (int ti = 0; ti < tasks.size(); ti++) {
            for (int run = 1; run <= study.runsPerTask(); run++) {
                Tsv.Table ev = Tsv.read(ds.events(tasks.get(ti), run));
                // prompts differ in length, and so do their events
                assertThat(java.util.Arrays.stream(ev.numbers("duration")).distinct().count()).isGreaterThan(1);
                StudyPipelineTest.plant(ds, tasks.get(ti), run, StudyPipelineTest.plantedUnits(ti));
            }
        }

        GlmOptions opts = GlmOptions.defaults().withPermutations(PERMUTATIONS, 0).withNifti(false);
        GlmOutputs.DatasetOutput glm = GlmDataset.run(ds.root(), ds.root().resolve("glm"), opts, (what, done, total) -> {});
        StudyAnalysis.Result r = StudyAnalysis.run(study, ds, glm, opts, ds.root().resolve("report"),
                new StudyAnalysis.Settings(PERMUTATIONS, 0));
        for (int ti = 0; ti < tasks.size(); ti++) {
            Network n = r.networks().get(ti);
            assertThat(n.task()).isEqualTo(tasks.get(ti));
            for (int u : StudyPipelineTest.plantedUnits(ti)) assertThat(n.positive().get(u)).as(tasks.get(ti) + " unit " + u).isTrue();
            // no bound on the rest: read tokens differ between topics, so even random weights carry real
            // lexical effects (the embeddings of a topic's words), unlike generated tokens
            assertThat(n.positiveCount()).isGreaterThanOrEqualTo(PLANTED);
        }
        for (Decoding.Score s : r.decoding().scores()) {
            assertThat(s.accuracy()).as(s.method() + " " + s.level()).isGreaterThan(0.9);
            assertThat(s.p()).isLessThan(0.05);
        }
        Path tables = ds.root().resolve("report/tables");
        Tsv.Table rep = Tsv.read(tables.resolve("repeatability_summary.tsv"));
        int dice = rep.column("measure").indexOf(rep.column("measure").stream().filter(m -> m.contains("dice")).findFirst().orElseThrow());
        assertThat(rep.numbers("mean_within")[dice]).isGreaterThan(rep.numbers("mean_between")[dice] + 0.5);
        assertThat(Tsv.read(tables.resolve("overlap.tsv")).rows()).isNotEmpty();
        assertThat(Files.readString(r.report())).contains("politicalscience");
    }
}
