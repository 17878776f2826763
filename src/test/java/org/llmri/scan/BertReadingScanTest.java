package org.llmri.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.dataset.Dataset;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;
import org.llmri.model.LoadedModel;
import org.llmri.model.bert.TinyBert;
import org.llmri.model.run.HiddenStates;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.Acquisition;
import org.llmri.paradigm.RunPlan;
import org.llmri.paradigm.Study;
import org.llmri.probe.TapSet;

/** Reading mode on a tiny random BERT: [CLS]/[SEP] read but not time points, events from the real token counts. */
class BertReadingScanTest {
    @TempDir static Path shared;
    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = TinyBert.writeWithTokenizer(shared.resolve("tiny-bert"), 7);
    }

    static Study study() {
        return ReadingScanTest.study(model);
    }

    static Dataset scan(Study study, Path out) {
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            return new Scanner(m, tok, new Scanner.Subject(study.model(), null, null, "0".repeat(64)), null).scan(study, out, false);
        }
    }

    @Test
    void eventsAreTheTokenCountsWithoutClsAndSepAndRowsAreTheSequencesOwnPositions(@TempDir Path out) throws IOException {
        Study study = study();
        Dataset ds = scan(study, out);
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            TapSet taps = TapSet.select(m.model(), "all");
            int units = taps.units(), h = m.model().hiddenSize();
            for (RunPlan run : study.plan().runs()) {
                Tsv.Table events = Tsv.read(ds.events(run.taskId(), run.run()));
                double[] onset = events.numbers("onset"), duration = events.numbers("duration");
                int t0 = 0;
                try (Npy.Mapped a = Npy.map(ds.activations(run.taskId(), run.run()))) {
                    for (int p = 0; p < run.prompts().size(); p++) {
                        int[] ids = tok.encodeMarked(run.prompts().get(p).text(), true).ids();
                        assertThat(ids[0]).isEqualTo(2);
                        assertThat(ids[ids.length - 1]).isEqualTo(3);
                        assertThat(duration[p]).as(run.label() + " prompt " + p).isEqualTo(ids.length - 2);
                        assertThat(onset[p]).isEqualTo(t0);
                        // time point k is the token at position k + 1 of the whole [CLS] ... [SEP] read
                        Map<String, float[]> ref = HiddenStates.run(m.model(), ids);
                        for (int k = 0; k < ids.length - 2; k++) {
                            long at = (long) (t0 + k) * units + taps.offset(taps.indexOf("encoder.layer.1"));
                            for (int j = 0; j < h; j++) {
                                assertThat(Math.abs(a.getFloat(at + j) - ref.get("hidden.2")[(k + 1) * h + j])).isLessThanOrEqualTo(1e-5f);
                            }
                        }
                        t0 += ids.length - 2;
                    }
                    assertThat(a.shape()).containsExactly(t0, units);
                }
            }
        }
        var sidecar = new ObjectMapper().readTree(ds.sidecar("long", 1).toFile());
        assertThat(sidecar.path("Model").path("Architecture").asText()).isEqualTo("BertModel");
        assertThat(sidecar.path("Acquisition").path("Mode").asText()).isEqualTo("read");
    }

    @Test
    void keptSpecialTokensAreTimePoints(@TempDir Path out) throws IOException {
        Study study = study().withAcquisition(new Acquisition(Acquisition.Mode.READ, true, 8));
        Dataset ds = scan(study, out);
        try (TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            RunPlan run = study.plan().runs().getFirst();
            double[] duration = Tsv.read(ds.events(run.taskId(), run.run())).numbers("duration");
            for (int p = 0; p < run.prompts().size(); p++) {
                assertThat(duration[p]).isEqualTo(tok.encodeMarked(run.prompts().get(p).text(), true).ids().length);
            }
        }
    }

    @Test
    void anEncoderAskedToGenerateIsRefusedInOneLine(@TempDir Path out) {
        assertThatThrownBy(() -> scan(study().withAcquisition(Acquisition.GENERATE), out))
                .isInstanceOf(LlmriException.class).hasMessage("BertModel cannot generate (an encoder): set acquisition: read in the study");
    }
}
