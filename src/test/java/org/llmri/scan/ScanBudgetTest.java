package org.llmri.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.dataset.Dataset;
import org.llmri.model.LoadedModel;
import org.llmri.model.opt.TinyModel;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.StorageDtype;
import org.llmri.paradigm.Study;

/** The scan's memory and disk guard: a scan that cannot fit is refused before its first run, saying what to change. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ScanBudgetTest {
    @TempDir static Path shared;
    static Path model;

    @BeforeAll
    static void makeModel() {
        model = shared.resolve("tiny");
        TinyModel.write(model, 7);
    }

    /** The paper's design with 2 runs per task and 4 tokens per prompt: 12 runs x 80 time points x 3,392 units. */
    static Study small(StorageDtype store) {
        Study s = Paradigms.builtin(Paradigms.GALACTICA_FMRI).withRunsPerTask(2).withModel(model.toString());
        return s.withGeneration(s.generation().withMaxNewTokens(4)).withStorageDtype(store);
    }

    static Dataset scan(Study study, Path out, long freeDisk, long freeHeap) {
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            return new Scanner(m, tok, new Scanner.Subject(study.model(), null, null, "0".repeat(64)), null).withLimits(freeDisk, freeHeap)
                    .scan(study, out, false);
        }
    }

    @Test
    void aScanThatDoesNotFitTheDiskIsRefusedBeforeItsFirstRunAndNoneFits(@TempDir Path dir) {
        // f32: activations 12 x 80 x 3,392 x 4 B = 12.4 MiB, statistics 12 x 20 x 3,392 x 16 B = 12.4 MiB
        long disk = 20L << 20;
        Path out = dir.resolve("f32");
        assertThatThrownBy(() -> scan(small(StorageDtype.F32), out, disk, Long.MAX_VALUE)).isInstanceOf(LlmriException.class)
                .hasMessageContaining("needs about 25 MiB of disk").hasMessageContaining("only 20 MiB is free")
                .hasMessageContaining("--store f16").hasMessageContaining("--store none").hasMessageNotContaining("\n");
        Dataset ds = new Dataset(out, "tiny");
        assertThat(ds.sidecar("pathology", 1)).doesNotExist();
        assertThat(ds.activations("pathology", 1)).doesNotExist();
        assertThat(ds.description()).doesNotExist();

        Dataset none = scan(small(StorageDtype.NONE), dir.resolve("none"), disk, Long.MAX_VALUE);
        assertThat(none.description()).exists();
        assertThat(none.promptStats("pathology", 1)).exists();
        assertThat(none.activations("pathology", 1)).doesNotExist();
    }

    @Test
    void aScanThatDoesNotFitTheHeapIsRefusedSayingHowToRaiseIt(@TempDir Path dir) {
        assertThatThrownBy(() -> scan(small(StorageDtype.NONE), dir.resolve("s"), Long.MAX_VALUE, 64L << 20))
                .isInstanceOf(LlmriException.class).hasMessageContaining("of heap").hasMessageContaining("-Xmx")
                .hasMessageContaining("fewer taps").hasMessageNotContaining("\n");
        assertThat(Files.exists(dir.resolve("s").resolve(Dataset.DESCRIPTION_FILE))).isFalse();
    }

    @Test
    void theEstimateForGalactica13bMatchesItsShape() {
        // the paper's paradigm, all taps of galactica-1.3b: 839,680 units, 12 runs of 640 time points and 20 prompts
        var runs = Collections.nCopies(12, new ScanBudget.RunShape(640, 20, 20));
        ScanBudget f32 = ScanBudget.estimate(runs, 839_680, StorageDtype.F32);
        assertThat(f32.activationBytes()).isEqualTo(12L * 640 * 839_680 * 4); // 25.8 GB
        assertThat(f32.statisticsBytes()).isEqualTo(20L * 839_680 * 16); // 269 MB per run
        assertThat(f32.heapBytes()).isEqualTo(20L * 839_680 * 16 + 20L * 839_680 * 4 + ScanBudget.HEAP_MARGIN);
        ScanBudget none = ScanBudget.estimate(runs, 839_680, StorageDtype.NONE);
        assertThat(none.activationBytes()).isZero();
        assertThat(none.diskBytes()).isEqualTo(12 * (20L * 839_680 * 16 + 4096));
        assertThat(ScanBudget.estimate(runs, 839_680, StorageDtype.F16).activationBytes()).isEqualTo(f32.activationBytes() / 2);
        // with the token-level GLM statistics (p = 3: 16 float64 per unit) and their held rows (two float32 per prompt of a step)
        var withToken = Collections.nCopies(12, new ScanBudget.RunShape(640, 20, 20, 3));
        ScanBudget tok = ScanBudget.estimate(withToken, 839_680, StorageDtype.NONE);
        assertThat(tok.diskBytes()).isEqualTo(12 * (20L * 839_680 * 16 + 128L * 839_680 + 4096)); // 4.5 GB
        assertThat(tok.heapBytes()).isEqualTo(20L * 839_680 * 16 + 128L * 839_680 + 8L * 20 * 839_680 + 20L * 839_680 * 4 + ScanBudget.HEAP_MARGIN);
    }
}
