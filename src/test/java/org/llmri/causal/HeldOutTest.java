package org.llmri.causal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.paradigm.PromptBank;
import org.llmri.paradigm.PromptSource;
import org.llmri.paradigm.RandomStrings;
import org.llmri.paradigm.Task;

class HeldOutTest {
    static final List<String> BANKS = PromptBank.BUILTIN;

    static Set<String> shingles(String text, int n) {
        String[] w = text.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9 ]", " ").trim().split("\\s+");
        Set<String> out = new HashSet<>();
        for (int i = 0; i + n <= w.length; i++) out.add(String.join(" ", java.util.Arrays.copyOfRange(w, i, i + n)));
        return out;
    }

    @Test
    void heldOutPassagesShareNoTextWithAnyScanBank() {
        Set<String> scanTexts = new HashSet<>();
        Set<String> scanShingles = new HashSet<>();
        for (String b : BANKS) {
            for (PromptBank.Prompt p : PromptBank.builtin(b, b).prompts()) {
                scanTexts.add(p.text().strip().toLowerCase(java.util.Locale.ROOT));
                scanShingles.addAll(shingles(p.text(), 5));
            }
        }
        for (String b : BANKS) {
            List<String> held = HeldOut.builtin(b, "test");
            assertThat(held).as(b).hasSizeGreaterThanOrEqualTo(12).doesNotHaveDuplicates();
            for (String h : held) {
                assertThat(scanTexts).as("held-out %s passage used by a scan: %s", b, h).doesNotContain(h.toLowerCase(java.util.Locale.ROOT));
                Set<String> s = shingles(h, 5);
                s.retainAll(scanShingles);
                assertThat(s).as("held-out %s passage shares five words in a row with a scan bank: %s", b, h).isEmpty();
            }
        }
    }

    @Test
    void randomStringsHeldOutUseRunsNoScanUses() {
        Task t = new Task("randomstrings", "Random strings", new PromptSource.RandomStrings(24, 64));
        List<String> held = HeldOut.task(t, 0);
        assertThat(held).hasSize(HeldOut.RANDOM_STRING_TEXTS);
        for (int run = 1; run <= 10; run++) {
            for (int i = 0; i < 40; i++) assertThat(held).doesNotContain(RandomStrings.generate(0, "randomstrings", run, i, 24, 64));
        }
        assertThat(HeldOut.task(t, 0)).isEqualTo(held);
    }

    @Test
    void aStudyWithoutGlmIsRefusedInOneLine(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> StudyData.open(dir)).isInstanceOf(LlmriException.class).hasMessageContaining("no scan here");
        assertThatThrownBy(() -> StudyData.open(dir.resolve("missing"))).isInstanceOf(LlmriException.class).hasMessageContaining("no such study folder");
    }
}
