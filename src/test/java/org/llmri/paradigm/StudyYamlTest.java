package org.llmri.paradigm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;

class StudyYamlTest {
    static final Study DEFAULT = Paradigms.builtin("galactica-fmri");

    @TempDir Path dir;

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
        return f;
    }

    private Study load(String yaml) throws IOException {
        return Study.load(write("study.yaml", yaml));
    }

    @Test
    void theBuiltInParadigmRoundTripsThroughYaml() throws IOException {
        assertThat(Study.load(write("study.yaml", DEFAULT.toYaml()))).isEqualTo(DEFAULT);
        assertThat(DEFAULT.toYaml()).contains("pattern: [off, on, off, on, off]", "prompts_per_block: 4",
                "max_new_tokens: 32", "bank: builtin:politicalscience", "runs_per_task: 3", "seed: 1234",
                "generator: {kind: random_strings, min_chars: 24, max_chars: 64}");
    }

    @Test
    void everyKindOfValueRoundTrips() throws IOException {
        write("banks/mine.txt", IntStream.range(0, 30).mapToObj(i -> "my prompt " + i).collect(Collectors.joining("\n")));
        List<String> awkward = List.of("on", "123", "a: b", "- dash", "say \"hi\"", "tab\there", "two\nlines",
                " leading space", "trailing space ", "#hash", "ünïcödé ✓ 𝛑", "yes", "null", "back\\slash", "*star", "[x]",
                "e\u2028f", "x".repeat(300));
        Study custom = new Study("my-study.v2", "/models/opt tiny@main", List.of("residual", "layers.*.fc1", "embed"),
                StorageDtype.F16, new Generation(7, Generation.Strategy.SAMPLE, 0.7, 50, 0.95, false, 3),
                ContextMode.CONTINUOUS, new Design(List.of(Condition.ON, Condition.OFF), 2), 3, -9_000_000_000L,
                List.of(new Task("a1", "file bank", new PromptSource.FileBank("banks/mine.txt", dir.resolve("banks/mine.txt"))),
                        new Task("b2", "inline: awkward", new PromptSource.Inline(awkward)),
                        new Task("c3", "c3", new PromptSource.RandomStrings(1, 4096))),
                new PromptSource.Inline(IntStream.range(0, 9).mapToObj(i -> "control " + i).toList()),
                new Acquisition(Acquisition.Mode.GENERATE, true, 5));
        String yaml = custom.toYaml();
        Study back = Study.load(write("study.yaml", yaml));
        assertThat(back).isEqualTo(custom);
        assertThat(back.toYaml()).isEqualTo(yaml);
        assertThat(back.plan()).isEqualTo(custom.plan());
    }

    @Test
    void readingModeIsChosenInTheYamlAndTheBuiltInReadingParadigmRoundTrips() throws IOException {
        Study s = load("acquisition: read\nread: {keep_special_tokens: true, batch_size: 0}\n");
        assertThat(s.acquisition()).isEqualTo(new Acquisition(Acquisition.Mode.READ, true, 0));
        assertThat(load("acquisition: read\n").acquisition()).isEqualTo(new Acquisition(Acquisition.Mode.READ, false, 8));
        assertThat(DEFAULT.acquisition().mode()).isEqualTo(Acquisition.Mode.GENERATE);
        Study read = Paradigms.builtin(Paradigms.FMRI_READ);
        assertThat(Study.load(write("read.yaml", read.toYaml()))).isEqualTo(read);
        assertThat(read.plan().runs()).hasSize(18);
        assertThatThrownBy(() -> load("acquisition: listen\n")).isInstanceOf(LlmriException.class)
                .hasMessageContaining("acquisition").hasMessageContaining("generate, read");
        assertThatThrownBy(() -> load("acquisition: read\ncontext: continuous\n").validate()).isInstanceOf(LlmriException.class)
                .hasMessageContaining("continuous needs acquisition: generate");
    }

    @Test
    void fieldsLeftOutTakeTheBuiltInValues() throws IOException {
        assertThat(load("")).isEqualTo(DEFAULT);
        assertThat(load("model: ./my-model\nseed: 7\ngeneration: {max_new_tokens: 16}\n"))
                .isEqualTo(DEFAULT.withModel("./my-model").withSeed(7).withGeneration(DEFAULT.generation().withMaxNewTokens(16)));
        Study s = load("""
                tasks:
                  - id: polisci
                    bank: builtin:politicalscience
                """);
        assertThat(s.tasks()).containsExactly(new Task("polisci", "polisci", new PromptSource.BuiltinBank("politicalscience")));
        assertThat(s.plan().runs().getFirst().prompts().get(4).promptId()).startsWith("polisci-");
        assertThat(load("taps: [attention, \"layers.1*.fc2\"]\n").taps()).containsExactly("attention", "layers.1*.fc2");
        assertThat(load("design: {pattern: [ON, Off, on]}\n").design().pattern())
                .containsExactly(Condition.ON, Condition.OFF, Condition.ON);
    }

    @Test
    void bankPathsAreRelativeToTheStudyFileNotTheWorkingDirectory() throws IOException {
        write("sub/prompts.txt", IntStream.range(0, 16).mapToObj(i -> "question " + i).collect(Collectors.joining("\n")));
        Path yaml = write("sub/study.yaml", "runs_per_task: 2\ntasks:\n  - {id: mine, bank: prompts.txt}\n");
        Study s = Study.load(yaml);
        assertThat(s.tasks().getFirst().source()).isEqualTo(new PromptSource.FileBank("prompts.txt", dir.resolve("sub/prompts.txt")));
        assertThat(s.plan().runs()).hasSize(2);
    }

    // ---------------------------------------------------------------- errors: file, line, field

    private void assertError(String yaml, String... parts) throws IOException {
        Path f = write("study.yaml", yaml);
        assertThatThrownBy(() -> Study.load(f)).isInstanceOf(LlmriException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).doesNotContain("\n").startsWith(f.toString() + ":");
                    for (String p : parts) assertThat(e.getMessage()).contains(p);
                });
    }

    @Test
    void unknownFieldsAreErrorsWithTheirNameAndLine() throws IOException {
        assertError("name: x\nmodle: y\n", "study.yaml:2: unknown field 'modle'", "model");
        assertError("design:\n  pattern: [off, on]\n  prompt_per_block: 4\n",
                "study.yaml:3: unknown field 'design.prompt_per_block'", "prompts_per_block");
        assertError("tasks:\n  - id: a\n    bank: builtin:pathology\n    colour: red\n", "study.yaml:4: unknown field 'tasks[0].colour'");
    }

    @Test
    void aNegativePromptsPerBlockNamesFileLineAndField() throws IOException {
        assertError("""
                name: s
                model: m
                generation:
                  max_new_tokens: 32
                design:
                  pattern: [off, on, off]
                  prompts_per_block: -4
                """, "study.yaml:7: design.prompts_per_block must be a positive integer", "-4");
    }

    @Test
    void aTaskIdThatIsNotABidsLabelIsAnError() throws IOException {
        assertError("""
                tasks:
                  - id: politicalscience
                    bank: builtin:politicalscience
                  - id: medical-imaging
                    bank: builtin:medicalimaging
                """, "study.yaml:4: tasks[1].id must be a BIDS label", "medical-imaging");
        assertError("tasks:\n  - {id: Abc, bank: builtin:pathology}\n  - {id: abc, bank: builtin:archeology}\n",
                "study.yaml:3: tasks[1].id 'abc' repeats");
        assertError("tasks:\n  - {name: no id, bank: builtin:pathology}\n", "study.yaml:2: tasks[0] needs an id");
    }

    @Test
    void aMissingBankFileIsAnErrorAtItsLine() throws IOException {
        assertError("seed: 1\ntasks:\n  - id: a\n    bank: nowhere/prompts.txt\n",
                "study.yaml:4: tasks[0].bank", "nowhere/prompts.txt", "not found");
        assertError("control:\n  bank: builtin:nosuch\n", "study.yaml:2: control.bank", "no built-in bank 'nosuch'");
    }

    @Test
    void aBankTooSmallSaysHowManyAreNeededAndHowManyItHas() throws IOException {
        write("ten.txt", IntStream.range(0, 10).mapToObj(i -> "prompt " + i).collect(Collectors.joining("\n")));
        assertError("runs_per_task: 2\ntasks:\n  - id: t\n    name: tiny\n    bank: ten.txt\n",
                "study.yaml:5:", "tasks[0].bank", "has 10 prompts", "need 16");
        assertError("control:\n  prompts: [a, b, c]\n", "study.yaml:2:", "control", "3 prompts", "need 12");
        // the built-in bank is not written in the file; the line that made it too small is
        assertError("name: big\nruns_per_task: 7\n", "study.yaml:2: tasks[0].bank (task politicalscience): "
                + "builtin:politicalscience has 50 prompts but 7 runs x 2 on-blocks x 4 prompts per block need 56");
    }

    @Test
    void malformedValuesAreErrorsWithLineAndField() throws IOException {
        assertError("runs_per_task: two\n", "study.yaml:1: runs_per_task must be an integer (got 'two')");
        assertError("design:\n  pattern: [off, maybe]\n", "study.yaml:2: design.pattern[1] must be on or off (got 'maybe')");
        assertError("design:\n  pattern: [off, off]\n", "study.yaml:2: design.pattern needs at least one 'on' block");
        assertError("generation:\n  strategy: beam\n", "study.yaml:2: generation.strategy must be one of greedy, sample (got 'beam')");
        assertError("generation:\n  top_p: 1.5\n", "study.yaml:2: generation.top_p must be in (0, 1]");
        assertError("generation:\n  suppress_eos: sometimes\n", "study.yaml:2: generation.suppress_eos must be true or false");
        assertError("storage_dtype: bf16\n", "study.yaml:1: storage_dtype must be one of f32, f16, none (got 'bf16')");
        assertError("taps: [\"layers 1\"]\n", "study.yaml:1: taps", "'layers 1'");
        assertError("tasks:\n  - id: a\n    bank: builtin:pathology\n    prompts: [x]\n",
                "study.yaml:4: tasks[0] needs exactly one of bank, prompts or generator (got bank and prompts)");
        assertError("tasks:\n  - id: r\n    generator: {kind: random_strings, min_chars: 10, max_chars: 5}\n",
                "study.yaml:3: tasks[0].generator needs 1 <= min_chars <= max_chars");
        assertError("tasks:\n  - id: r\n    generator: {kind: markov}\n", "study.yaml:3: tasks[0].generator.kind must be random_strings");
        assertError("seed: 1\nseed: 2\n", "study.yaml:2: field 'seed' appears twice (first on line 1)");
        assertError("tasks: politicalscience\n", "study.yaml:1: tasks must be a list");
        assertError("- a\n- b\n", "study.yaml:1: the study must be a mapping");
        assertError("name: a\n---\nname: b\n", "one YAML document");
        assertError("base: &b 1\nseed: *b\n", "study.yaml:2:", "aliases");
        assertError("tasks:\n  - id: a\n    prompts: [x, y, x]\n", "study.yaml:3: tasks[0].prompts[2] repeats prompts[0]");
        assertError("runs_per_task: 99999999999\n", "study.yaml:1: runs_per_task is out of range");
        assertError("generation: {max_new_tokens: 100000}\ndesign: {prompts_per_block: 10000}\n", "time points", "limit");
    }

    @Test
    void yamlSyntaxErrorsGiveTheLineInOneLine() throws IOException {
        assertError("name: x\ndesign:\n  pattern: [off, on\n  prompts_per_block: 4\n", "YAML syntax error");
        assertError("a:\n  - b\n c: 4\n", "study.yaml:3: YAML syntax error");
    }

    @Test
    void problemsInsideABankFileNameTheBankFileAndItsLine() throws IOException {
        write("dup.txt", "one prompt\nanother prompt\none prompt\n");
        Path f = write("study.yaml", "tasks:\n  - {id: a, bank: dup.txt}\n");
        assertThatThrownBy(() -> Study.load(f)).isInstanceOf(LlmriException.class)
                .hasMessageContaining("dup.txt:3: duplicate prompt (same as line 1)");
    }

    @Test
    void aMissingOrNonUtf8StudyFileIsAnError() throws IOException {
        assertThatThrownBy(() -> Study.load(dir.resolve("absent.yaml"))).isInstanceOf(LlmriException.class)
                .hasMessageContaining("absent.yaml: study file not found");
        Path bad = dir.resolve("bad.yaml");
        Files.write(bad, new byte[] {'n', 'a', 'm', 'e', ':', ' ', (byte) 0xFF, '\n'});
        assertThatThrownBy(() -> Study.load(bad)).isInstanceOf(LlmriException.class).hasMessageContaining("not UTF-8");
    }

    @Test
    void studiesBuiltInCodeAreHeldToTheSameRules() {
        assertThatThrownBy(() -> DEFAULT.withDesign(new Design(List.of(Condition.ON), 0)).validate())
                .isInstanceOf(LlmriException.class)
                .hasMessage("study galactica-fmri: design.prompts_per_block must be a positive integer up to 100000 (got 0)");
        assertThatThrownBy(() -> DEFAULT.withTasks(List.of(new Task("a_b", "x", new PromptSource.RandomStrings(3, 5)))).plan())
                .isInstanceOf(LlmriException.class).hasMessageContaining("tasks[0].id must be a BIDS label");
    }
}
